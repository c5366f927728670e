"""Turn the bytes of a text file (.txt, .md, .html) into a str, or refuse binary data.

Order: a byte-order mark decides (UTF-8, UTF-16, UTF-32); else strict UTF-8; else an encoding
declared by the caller (an HTML <meta charset>); else UTF-8 with replacement characters when
only a few bytes are invalid among many valid UTF-8 characters; else Windows-1252 when the result reads as
Western European text; else charset-normalizer's guess. charset-normalizer alone guesses badly
on short Western texts (it reads "café naïve" as cp1250 "café naďve"), hence the cp1252 step.
Known limit: Central European text saved as cp1250 without Polish-only letters (Czech,
Slovak) is indistinguishable from cp1252 and decodes as cp1252.
"""

from __future__ import annotations

import codecs
import logging
import unicodedata

from .errors import DocumentError

log = logging.getLogger(__name__)

_BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's.
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_MAX_CONTROL_SHARE = 0.05  # more control characters than this means binary data
_INNER_WORD_OK = set("'’‘-‐–")  # non-letters that may legitimately sit inside a word


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_text(data: bytes, source: object, declared: str | None = None) -> str:
    """Decode `data`; newlines become "\\n" and a leading BOM is dropped.

    Raises DocumentError when the bytes are binary (NUL bytes without a UTF-16/32 BOM, or many
    control characters). `source` is only used in the error message.
    """
    text = _decode(data, source, declared)
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
    if text and controls / len(text) > _MAX_CONTROL_SHARE:
        raise _binary(source)
    return normalize_newlines(text.removeprefix("\ufeff"))


def _decode(data: bytes, source: object, declared: str | None) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise DocumentError(
                    source,
                    f"it starts with a {encoding.upper()} byte-order mark but is not valid "
                    f"{encoding.upper()} ({exc.reason}); re-save it as UTF-8",
                ) from exc
    if b"\x00" in data:
        raise _binary(source)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if declared:
        try:
            return data.decode(declared)
        except (LookupError, UnicodeDecodeError):
            log.debug("declared charset %r does not fit %s", declared, source)
    text = data.decode("utf-8", errors="replace")
    if _mostly_utf8(text):
        log.info("%s is UTF-8 with %d invalid bytes; they read as U+FFFD", source, text.count("\ufffd"))
        return text
    try:
        text = data.decode("cp1252")
        if _reads_as_western(text):
            return text
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise _binary(source)
    log.debug("decoded %s as %s (charset-normalizer guess)", source, best.encoding)
    return str(best)


def _mostly_utf8(text: str) -> bool:
    """True if `text` (decoded as UTF-8 with replacement) holds far more valid non-ASCII
    characters than invalid bytes: UTF-8 with a few damaged bytes, not a legacy encoding
    (whose accented letters are almost never valid UTF-8 sequences). Read as cp1252 instead,
    every "ü" of such a file would become mojibake ("Ã¼")."""
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if not ch.isascii()) - bad
    return good >= 3 * bad


def _reads_as_western(text: str) -> bool:
    """True if `text` (decoded as cp1252) looks like English/Western European prose.

    Text in another 8-bit encoding read as cp1252 shows up as mostly accented letters
    (Cyrillic, Greek) or as symbols inside words (Polish "¹" for "ą", "³" for "ł").
    """
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return True
    non_ascii = sum(1 for ch in letters if not ch.isascii())
    if non_ascii / len(letters) > 0.3:
        return False
    for before, ch, after in zip(text, text[1:], text[2:]):
        if not ch.isascii() and not ch.isalpha() and ch not in _INNER_WORD_OK:
            if before.isalpha() and after.isalpha():
                return False
    return True


def _binary(source: object) -> DocumentError:
    return DocumentError(
        source,
        "it looks like binary data, not text; "
        "check that the file name's extension matches its content",
    )
