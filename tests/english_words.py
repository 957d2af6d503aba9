"""English words in a text a Chinese or Korean student reads, leaving out what is rightly in English: names of
models, layers, people and software, code, formulas, units, the English term in parentheses after its translation
("感受野 (receptive field)"), and a verbatim quote of the lecture notes (which the app shows in the notes' own words
with a translation beside it)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from cnnviz.lectures.course_notes import NOTES, in_notes

# What the registry and the other data cannot give: people, companies and software the pages name, units, the
# names of mathematical functions a formula in running text uses, and the values a float can have besides numbers.
NAMES = {"cnnviz", "Caffe", "Clarifai", "Google", "Transformer", "Nesterov", "Polyak", "Xavier", "Glorot", "Fisher",
         "Bernoulli", "Spearman", "Adebayo", "Russakovsky", "Levenberg", "Marquardt", "Chelsea", "Eileen", "Collins",
         "Grace", "Hopper", "Grad-CAM", "protobuf"}
SOFTWARE = {"ONNX Runtime", "TF-Slim"}
UNITS = {"px", "ms", "nats", "epoch", "top"}  # training time is counted in epochs, accuracy as top-1 and top-5
FUNCTIONS = {"tanh", "softmax", "sigmoid", "logit", "ln", "log", "exp", "max", "min", "argmax", "floor", "ceil", "nan",
             "inf"}
LATIN = {"et", "al"}  # "He et al. 2016"

CJK = "\u1100-\u11ff\u3000-\u30ff\u3130-\u318f\u3400-\u9fff\uac00-\ud7a3\uff00-\uffef"
_URL = re.compile(r"https?://\S+|www\.\S+")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
_DIRECTIVE = re.compile(r":(?:red|orange|yellow|green|blue|violet|gray|grey|rainbow|primary)(?:-background)?\[")
_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$", re.S)
_SCRIPT = re.compile(r"<(sub|sup)>.*?</\1>|⌊[^⌊⌋]*⌋|⌈[^⌈⌉]*⌉", re.S)  # sub- and superscripts, floor and ceiling
_TAG = re.compile(r"<[^>]+>")
_TEXT_COMMAND = re.compile(r"\\(?:text|textrm|textit|textbf|mbox)\{([^{}]*)\}")
# A word in a subscript or superscript is notation (C_\text{in}, L_{\text{aux1}}, \sum_{\text{convs}}).
_SCRIPT_TEXT = re.compile(r"[_^]\s*(?:\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}|\\text\{[^{}]*\})")
_GLOSS = re.compile(rf"(?<=[{CJK}])([*\s]*)[(（][^()（）]*[)）]")
# A citation: "He et al. 2016", "Simonyan & Zisserman 2014", "Adebayo 等人（2018）".
_CITATION = re.compile(r"\b[A-Z][A-Za-z'-]+(?:\s*(?:&|and|和|와|과)\s*[A-Z][A-Za-z'-]+)?\s*(?:et al\.?|等人?|외)?\s*"
                       r"[(（]?\d{4}[)）]?")
_QUOTE = re.compile(r"“([^“”]*)”|‘([^‘’]*)’|'([^']{3,})'")
_TRANSLATED_QUOTE = re.compile(rf"([^{CJK}“”()（）|*·:：，,;；\n]+?)\s*[(（]([^()（）]*[{CJK}][^()（）]*)[)）]")
# Code in running text: ReLU(inplace=True), Var(w), join(f_C(z), conv(z)), groups=1.
_CALL = re.compile(rf"[A-Za-z_][A-Za-z0-9_.]*\([^(){CJK}]*\)|\b[A-Za-z_]\w*=[\w.]+", re.A)
_TOKEN = re.compile(r"[A-Za-z0-9_.'’/+-]*[A-Za-z][A-Za-z0-9_.'’/+-]*")
_DIMENSIONS = re.compile(r"(?:\d+|[a-zA-Z])(?:x(?:\d+|[a-zA-Z]))+")  # kxk, 1xn, nx1: sizes, not words


def _last_parentheses(text: str) -> tuple[str, str]:
    """("quote", "translation") of "quote (translation)" where the last parentheses hold Chinese or Korean and may hold
    parentheses of their own; ("", "") otherwise."""
    if not text.endswith((")", "）")):
        return "", ""
    depth = 0
    for at in range(len(text) - 1, -1, -1):
        depth += text[at] in ")）"
        depth -= text[at] in "(（"
        if depth == 0:
            inside = text[at + 1:-1]
            return (text[:at].rstrip(), inside) if re.search(f"[{CJK}]", inside) else ("", "")
    return "", ""


def formula_words(latex: str) -> str:
    """The words of a LaTeX formula: those in ``\\text{...}``, not in a subscript (``C_\\text{in}``) or superscript."""
    return " ".join(_TEXT_COMMAND.findall(_SCRIPT_TEXT.sub(" ", latex))).replace(r"\_", "_")


class Checker:
    """``english(text)``: the English words of ``text`` that are not allowed. ``allowed``: names that may appear (in
    any case: "dropout" the layer, "Dropout" the method), ``phrases``: longer names (paper titles) taken out whole."""

    def __init__(self, allowed: Iterable[str], phrases: Iterable[str] = ()):
        self.allowed = {word.lower() for word in set(allowed) | NAMES | UNITS | FUNCTIONS | LATIN}
        longest_first = sorted(set(phrases) | SOFTWARE, key=len, reverse=True)
        self.phrases = re.compile("|".join(rf"(?<![A-Za-z0-9_.-]){re.escape(p)}(?![A-Za-z0-9_-]|\.\w)"
                                           for p in longest_first) or "$^")
        self.notes = [path.stem for path in sorted(NOTES.glob("*.txt"))]

    def quoted(self, quote: str) -> bool:
        """Words of the lecture notes as they print them (``course_notes.in_notes``), markdown's escapes aside."""
        quote = re.sub(r"\\([^\w\s])", r"\1", quote)
        return any(in_notes(quote, number) for number in self.notes)

    def english(self, text: str, formula: bool = False) -> list[str]:
        text = self._prose(formula_words(text) if formula else self.phrases.sub(" ", text))
        return [word for token in _TOKEN.findall(text) for word in self._unknown(token)]

    def _prose(self, text: str) -> str:
        text = _URL.sub(" ", _LINK_TARGET.sub("]", text))
        text = _MATH.sub(lambda m: f" {formula_words(m.group(1) or m.group(2))} ", text)
        text = _CODE_SPAN.sub(" ", _DIRECTIVE.sub(" ", text))
        text = _TAG.sub(" ", _SCRIPT.sub(" ", text))
        text = _QUOTE.sub(lambda m: self._unquoted(next(g for g in m.groups() if g is not None), m.group(0)), text)
        # A quote of the notes in English with its translation beside it: "Total Weights（总权重数）".
        text = _TRANSLATED_QUOTE.sub(lambda m: f" {m.group(2)} " if self.quoted(m.group(1)) else m.group(0), text)
        text = _CITATION.sub(" ", text)
        previous = None
        while previous != text:  # calls inside calls
            previous, text = text, _CALL.sub("", text)
        previous = None
        while previous != text:  # a gloss may hold one: "(local response normalisation (LRN))"
            previous, text = text, _GLOSS.sub(r"\1 ", text)
        return text

    def _unquoted(self, inner: str, whole: str) -> str:
        """A quote of the notes taken out, its translation (in parentheses after it) kept to be checked."""
        if self.quoted(inner):
            return " "
        quote, translation = _last_parentheses(inner.rstrip())
        return f" {translation} " if translation and self.quoted(quote) else whole

    def _unknown(self, token: str) -> list[str]:
        token = token.strip("'’.-/+")
        if self._known(token):
            return []
        return [part for part in re.split(r"[-/+]", token) if part and not self._known(part)]

    def _known(self, word: str) -> bool:
        if word.lower() in self.allowed:  # scikit-learn
            return True
        if re.search(r"[-/+]", word) and not re.search(r"[_.]", word):  # "plain-20" is a word and a number
            return all(self._known(part) for part in re.split(r"[-/+]", word) if part)
        if len(word) < 2 or re.search(r"[0-9_]|\w\.\w", word) or re.search(r"[A-Z]", word[1:]):
            return True  # a variable, an identifier (conv1, features.4), an acronym or CamelCase (ReLU, ResNet)
        if _DIMENSIONS.fullmatch(word):
            return True
        return re.sub(r"['’]s$", "", word).lower() in self.allowed


SCRIPTS = {"zh": ("\u4e00", "\u9fff"), "ko": ("\uac00", "\ud7a3")}


def written_share(texts: list[str], language: str) -> float:
    """The share of the letters that are Chinese characters or Hangul syllables. A Latin word counts as one
    letter, as a syllable or a character does: "ResNet-50 的参数" is 1 Latin word and 3 Chinese letters."""
    import re

    low, high = SCRIPTS[language]
    text = " ".join(texts)
    native = sum(low <= ch <= high for ch in text)
    latin = len(re.findall(r"[A-Za-z]+", text))
    return native / max(1, native + latin)
