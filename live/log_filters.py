"""Keeps tokens, signed media prefixes and API keys out of request logs."""

import logging
import re

_PATTERNS = [
    (re.compile(r"(token=)[^&\s\"']+"), r"\1[redacted]"),
    (re.compile(r"(/hls/)[A-Za-z0-9_-]+/[0-9]+/"), r"\1[sig]/[exp]/"),
    (re.compile(r"(tc_[a-z0-9]{12}_)[A-Za-z0-9_-]+"), r"\1[redacted]"),
    (re.compile(r"((?:passphrase|key)=)[^&\s\"']+"), r"\1[redacted]"),
]


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    def filter(self, record):
        record.msg = redact(str(record.msg))
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True
