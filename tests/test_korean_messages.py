"""The Korean catalog read mechanically: particles that fit what stands before them, every placeholder kept,
markdown balanced. Each test lists every offending entry at once, so one run shows all there is to fix.

Korean particles change with the sound before them (채널을 / 레이어를). A placeholder can stand for any number or
name, so no particle may follow it directly: '채널 {n}을' reads '채널 2을'. A number written in the text is read in
Sino-Korean (3 삼, 10 십), so the particle after it must fit that reading: 'C3은', not 'C3는'."""

import re

from babel.messages.pofile import read_po

from cnnviz import i18n

PLACEHOLDER = re.compile(r"\{[^{}]*\}")
# A particle ends a word: what follows is not Hangul, or is a particle stacked on it (으로는, 와의, 로서). 이 before
# Hangul is the copula (이면, 이고), which fits any sound.
PARTICLE = (r"(?P<particle>을|를|이|가|은|는|와|과|으로|로)"
            r"(?=[^가-힣]|$|(?<=로)(?:는|도|서|써|의|부터|만)|(?<=[와과])(?:의|는|도))")
AFTER_PLACEHOLDER = re.compile(r"(?P<before>\{[^{}]*\})" + PARTICLE)
AFTER_NUMBER = re.compile(r"(?<![\d.,])(?P<before>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)" + PARTICLE)

# (placeholder, particle) pairs where the placeholder always stands for a word the particle fits. None today: every
# such sentence is worded without a particle there ('{count}개의 채널', '채널 수: {count}').
ALWAYS_FITS: set[tuple[str, str]] = set()

# How a Korean reader says the last syllable of a number: digits in Sino-Korean (영, 일, 이, 삼 ...), a run of
# trailing zeros as 십, 백, 천, 만 ...; only whether that syllable has a final consonant, and whether it is ㄹ, matters.
DIGIT_SYLLABLE = "영일이삼사오육칠팔구"
PLACE_SYLLABLE = {1: "십", 2: "백", 3: "천", 4: "만", 5: "만", 6: "만", 7: "만", 8: "억"}
NEEDS_CONSONANT = {"을", "은", "이", "과", "으로"}
NEEDS_VOWEL_OR_RIEUL = {"로"}


def _catalog():
    with (i18n.LOCALE_DIR / "ko" / "LC_MESSAGES" / f"{i18n.DOMAIN}.po").open("rb") as source:
        return read_po(source, locale="ko")


def _pairs():
    """(msgid, msgstr) for every entry and plural form."""
    for message in _catalog():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            yield ids[0], string


def last_syllable(number: str) -> str:
    """The syllable a Korean reader ends ``number`` with: '3' 삼, '0.5' 오, '10' 십, '300' 백, '2,000' 천."""
    if "." in number:
        return DIGIT_SYLLABLE[int(number[-1])]
    digits = number.replace(",", "").lstrip("0") or "0"
    zeros = len(digits) - len(digits.rstrip("0"))
    if digits == "0" or zeros == 0:
        return DIGIT_SYLLABLE[int(digits[-1])]
    return PLACE_SYLLABLE.get(zeros, "억")


def fits(syllable: str, particle: str) -> bool:
    final = (ord(syllable) - 0xAC00) % 28  # 0: no final consonant, 8: ㄹ
    if particle in NEEDS_VOWEL_OR_RIEUL:
        return final in (0, 8)
    if particle == "으로":
        return final not in (0, 8)
    return (final != 0) == (particle in NEEDS_CONSONANT)


def _show(offending: list[str]) -> str:
    print("\n".join(offending))
    return f"{len(offending)} entries:\n" + "\n".join(offending)


def test_the_syllable_a_number_ends_with():
    assert [last_syllable(n) for n in ("0", "1", "3", "6", "10", "50", "100", "2,000", "0.5", "1.175", "16")] == \
        ["영", "일", "삼", "육", "십", "십", "백", "천", "오", "오", "육"]
    assert fits("삼", "을") and fits("일", "로") and fits("이", "를") and fits("육", "으로")
    assert not fits("육", "를") and not fits("일", "으로") and not fits("이", "은")


def test_what_counts_as_a_particle():
    text = "{n}을, {a}와의, {b}로는, {c}개를, {d}에서, {e}이면"
    found = [(match["before"], match["particle"]) for match in AFTER_PLACEHOLDER.finditer(text)]
    assert found == [("{n}", "을"), ("{a}", "와"), ("{b}", "로")]
    numbers = [match[0] for match in AFTER_NUMBER.finditer("C3는 1x1로 0.5를 10을 2,000은 3개를")]
    assert numbers == ["3는", "1로", "0.5를", "10을", "2,000은"]


def test_no_particle_right_after_a_placeholder():
    """'채널 {n}을' reads '채널 2을': a particle after a number or name that changes cannot fit every value."""
    offending = [f"{string!r}  <-  {msgid!r}" for msgid, string in _pairs()
                 for match in AFTER_PLACEHOLDER.finditer(string)
                 if (match["before"], match["particle"]) not in ALWAYS_FITS]
    assert not offending, _show(offending)


def test_a_particle_after_a_number_fits_how_the_number_is_read():
    """'ReLU6를' reads 'ReLU 육를', 'C3는' reads 'C 삼는': the particle must fit the number's last syllable."""
    offending = [f"{match[0]!r} in {string!r}" for _, string in _pairs()
                 for match in AFTER_NUMBER.finditer(string)
                 if not fits(last_syllable(match["before"]), match["particle"])]
    assert not offending, _show(offending)


def test_every_placeholder_of_the_english_text_is_kept():
    offending = [f"{string!r}  <-  {msgid!r}" for msgid, string in _pairs()
                 if set(PLACEHOLDER.findall(msgid)) - set(PLACEHOLDER.findall(string))]
    assert not offending, _show(offending)


def test_markdown_markers_are_balanced():
    """An odd number of ** or ` shows the markers as text and sets the rest of the message in bold or code; code
    (a command, a file name) is kept as the English text has it. Bold may be added where English writes CAPITALS."""
    offending = [f"{string!r}  <-  {msgid!r}" for msgid, string in _pairs()
                 if string.count("**") % 2 or string.count("`") % 2 or string.count("`") != msgid.count("`")]
    assert not offending, _show(offending)
