#!/usr/bin/env python3
"""An independent IMAP client for interop tests: Python's stdlib imaplib.

Connects to 127.0.0.1:PORT, runs AUTHENTICATE MECH, optionally LIST/SELECT, logs out.
imaplib sends AUTHENTICATE without an initial response and answers the server's first
challenge with --response; any later challenge is answered with the next --then value
(default: an empty response). --cancel answers the first challenge with `*`.

Output, one line each on stdout:
  CAPABILITIES <space-separated list>
  CHALLENGE <hex>            (every challenge imaplib passed to us)
  AUTH OK|NO|BAD <text>
  LIST OK ... / SELECT OK ... (when asked)
  LOGOUT <typ>
Exit status: 0 after a successful login, 1 after NO, 2 after BAD, 3 other errors.

Responses are given as hex (--response-hex) or text (--response, UTF-8; `\\x01` and
`\\0` escapes allowed), so that tests can send any bytes.
"""

import argparse
import imaplib
import sys


def decode_arg(text, hex_text):
    if hex_text is not None:
        return bytes.fromhex(hex_text)
    if text is None:
        return b""
    return text.encode("utf-8").decode("unicode_escape").encode("latin-1")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--mech", required=True)
    p.add_argument("--response")
    p.add_argument("--response-hex")
    p.add_argument("--then", action="append", default=[],
                   help="hex of the response to each later challenge")
    p.add_argument("--cancel", action="store_true")
    p.add_argument("--list", action="store_true")
    p.add_argument("--select")
    p.add_argument("--timeout", type=float, default=20.0)
    a = p.parse_args()

    first = decode_arg(a.response, a.response_hex)
    later = [bytes.fromhex(h) for h in a.then]
    calls = {"n": 0}

    def answer(challenge):
        print("CHALLENGE", (challenge or b"").hex(), flush=True)
        n = calls["n"]
        calls["n"] += 1
        if a.cancel:
            return None  # imaplib sends `*`
        if n == 0:
            return first
        return later[n - 1] if n - 1 < len(later) else b""

    try:
        m = imaplib.IMAP4(a.host, a.port, timeout=a.timeout)
    except Exception as e:  # noqa: BLE001
        print("CONNECT ERROR", e, flush=True)
        return 3
    print("CAPABILITIES", " ".join(m.capabilities), flush=True)
    status = 3
    try:
        typ, data = m.authenticate(a.mech, answer)
        print("AUTH", typ, b" ".join(d or b"" for d in data).decode("utf-8", "replace"),
              flush=True)
        status = 0 if typ == "OK" else 3
    except imaplib.IMAP4.error as e:
        # imaplib raises the tagged NO's text, and "... command error: BAD ..." for BAD.
        text = str(e)
        kind = "BAD" if "command error: BAD" in text else "NO"
        print("AUTH", kind, text, flush=True)
        status = {"NO": 1, "BAD": 2}.get(kind, 3)
    except Exception as e:  # noqa: BLE001
        print("AUTH ERROR", type(e).__name__, e, flush=True)
        status = 3
    try:
        if status == 0 and a.list:
            typ, data = m.list()
            print("LIST", typ, data, flush=True)
        if status == 0 and a.select:
            typ, data = m.select(a.select)
            print("SELECT", typ, data, flush=True)
        typ, _ = m.logout()
        print("LOGOUT", typ, flush=True)
    except Exception as e:  # noqa: BLE001
        print("AFTER ERROR", type(e).__name__, e, flush=True)
        if status == 0:
            status = 3
    return status


if __name__ == "__main__":
    sys.exit(main())
