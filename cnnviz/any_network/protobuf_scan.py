"""How many protobuf messages a file would become, counted on its bytes before it is parsed: parsing builds one
object per message (a node, an attribute, a tensor, a dimension), so a 10 MB file of five million empty nodes
takes gigabytes. The scan follows the schema (which fields hold messages) through the wire format and stops at
the limit; it allocates nothing per message. Written here: protobuf's own parser has no such budget."""

from __future__ import annotations


class Truncated(ValueError):
    """The bytes end inside a field: the real parser will say what is wrong."""


def _varint(data: bytes, position: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if position >= len(data):
            raise Truncated
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, position
        shift += 7
        if shift > 63:
            raise Truncated


def count_messages(data: bytes, descriptor, limit: int) -> int:
    """The messages in ``data`` (a serialized ``descriptor`` message), counted up to ``limit + 1``. Bytes that
    are not valid wire format end the count early: the parser refuses them anyway."""
    count = 0
    pending = [(0, len(data), descriptor)]
    message_fields: dict[object, dict[int, object]] = {}
    while pending:
        position, end, kind = pending.pop()
        fields = message_fields.get(kind)
        if fields is None:
            fields = message_fields[kind] = {f.number: f.message_type for f in kind.fields if f.message_type}
        try:
            while position < end:
                key, position = _varint(data, position)
                wire_type, number = key & 7, key >> 3
                if wire_type == 0:
                    _, position = _varint(data, position)
                elif wire_type == 1:
                    position += 8
                elif wire_type == 5:
                    position += 4
                elif wire_type == 2:
                    length, position = _varint(data, position)
                    if position + length > end:
                        raise Truncated
                    inner = fields.get(number)
                    if inner is not None:
                        count += 1
                        if count > limit:
                            return count
                        pending.append((position, position + length, inner))
                    position += length
                else:  # groups (wire types 3, 4) are not in ONNX's schema
                    raise Truncated
        except Truncated:
            return count
    return count
