#!/usr/bin/env python3
"""SCRAM peer backed by the PyPI `scramp` package, driven by sasl-test's interop harness
(`sasl_test::peers`).

Wire (stdin/stdout): one SASL message per line, as padded standard base64 of the raw
message; an empty line is an empty message. Nothing else is written to stdout; diagnostics
go to stderr, prefixed with the role.

client role:
    writes client-first, reads server-first, writes client-final, reads server-final and
    checks the server signature. When it is right it writes one empty line (the empty
    response to the final challenge that IMAP and SMTP expect) and exits 0.
server role:
    reads client-first, writes server-first (or one `e=...` line and exits 1 if
    client-first is already unacceptable), reads client-final, writes server-final
    (`v=...` or `e=...`). After `v=` it reads the client's answer: an empty line or end of
    input exits 0, anything else exits 1.

Exit status: 0 authenticated (a client has also verified the server), 1 authentication
failed or the peer broke the protocol, 2 usage error, 3 scramp is not importable.

Notes on scramp 1.5: it refuses the channel-binding type name `tls-exporter` by policy
(lifted here unless --strict is given: to SCRAM the binding data is opaque bytes), refuses
salts shorter than 12 bytes and iteration counts below 4096, and rejects a non-empty
authorization identity (`a=`), so there is no --authzid option.
"""
import argparse
import base64
import binascii
import sys

ROLE = "scramp"


def log(*parts):
    print(f"scramp-{ROLE}:", *parts, file=sys.stderr, flush=True)


try:
    import scramp
    from scramp import ScramClient, ScramException, ScramMechanism
    from scramp import core as scramp_core
except ImportError as err:  # pragma: no cover - depends on the environment
    print(f"scramp-peer: cannot import scramp: {err}", file=sys.stderr)
    sys.exit(3)


class PeerGone(Exception):
    """The other side closed its end of the conversation."""


def send(text):
    """Writes one message (a str) as a base64 line."""
    data = text.encode("utf-8")
    sys.stdout.write(base64.b64encode(data).decode("ascii") + "\n")
    sys.stdout.flush()


def send_empty():
    sys.stdout.write("\n")
    sys.stdout.flush()


def receive():
    """Reads one message and returns it as str; raises PeerGone at end of input."""
    line = sys.stdin.readline()
    if line == "":
        raise PeerGone("end of input")
    line = line.rstrip("\r\n")
    if line == "*":
        raise PeerGone("the other side cancelled")
    try:
        raw = base64.b64decode(line, validate=True)
    except (binascii.Error, ValueError) as err:
        raise ScramException(f"line is not base64: {line!r} ({err})")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ScramException(f"message is not UTF-8: {err}")


def channel_binding(args):
    if args.cb_hex is None:
        return None
    try:
        data = bytes.fromhex(args.cb_hex)
    except ValueError as err:
        raise SystemExit(usage(f"--cb-hex is not hex: {err}"))
    return (args.cb_type, data)


def usage(message):
    log("usage:", message)
    return 2


def run_client(args, cb):
    client = ScramClient([args.mech], args.user, args.password,
                         channel_binding=cb, c_nonce=args.nonce)
    if client.mechanism_name != args.mech:
        return usage(f"scramp picked {client.mechanism_name}, not {args.mech}")
    first = client.get_client_first()
    log("C:", first)
    send(first)
    server_first = receive()
    log("S:", server_first)
    if server_first.startswith("e="):
        log("server refused:", server_first)
        return 1
    client.set_server_first(server_first)
    final = client.get_client_final()
    log("C:", final)
    send(final)
    server_final = receive()
    log("S:", server_final)
    client.set_server_final(server_final)
    log("server signature verified")
    send_empty()
    return 0


def run_server(args, cb):
    mechanism = ScramMechanism(args.mech)
    salt = None
    if args.salt_b64 is not None:
        try:
            salt = base64.b64decode(args.salt_b64, validate=True)
        except (binascii.Error, ValueError) as err:
            return usage(f"--salt-b64 is not base64: {err}")
    auth_info = mechanism.make_auth_info(args.password, iteration_count=args.iterations,
                                         salt=salt)

    def lookup(username):
        if username != args.user:
            raise ScramException(f"unknown user {username!r}",
                                 scramp_core.ServerError.UNKNOWN_USER)
        return auth_info

    server = mechanism.make_server(lookup, channel_binding=cb, s_nonce=args.nonce)
    first = receive()
    log("C:", first)
    try:
        server.set_client_first(first)
    except ScramException as err:
        error = getattr(err, "server_error", None)
        reply = "e=" + (error.value if error is not None else "other-error")
        log("client-first refused:", err)
        log("S:", reply)
        send(reply)
        return 1
    server_first = server.get_server_first()
    log("S:", server_first)
    send(server_first)
    final = receive()
    log("C:", final)
    accepted = True
    try:
        server.set_client_final(final)
    except ScramException as err:
        log("client-final refused:", err)
        accepted = False
    server_final = server.get_server_final()
    log("S:", server_final)
    send(server_final)
    if not accepted:
        return 1
    try:
        ack = receive()
    except PeerGone:
        ack = ""
    if ack != "":
        log("client answered the final message with data:", ack)
        return 1
    log("client authenticated")
    return 0


def main():
    global ROLE
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("role", choices=["client", "server"])
    parser.add_argument("--mech", default="SCRAM-SHA-256")
    parser.add_argument("--user", default="user")
    parser.add_argument("--password", default="pencil")
    parser.add_argument("--cb-type", default="tls-exporter")
    parser.add_argument("--cb-hex", default=None,
                        help="channel-binding data in hex; with a non-PLUS mechanism a "
                             "client sends the 'y' flag and a server rejects it")
    parser.add_argument("--nonce", default=None, help="fixed client or server nonce part")
    parser.add_argument("--iterations", type=int, default=None, help="server iteration count")
    parser.add_argument("--salt-b64", default=None, help="server salt, base64")
    parser.add_argument("--strict", action="store_true",
                        help="keep scramp's refusal of the tls-exporter type name")
    args = parser.parse_args()
    ROLE = args.role
    if not args.strict:
        scramp_core.CbName.UNSUPPORTED_TYPES = frozenset()
        scramp_core.CbName.SUPPORTED_TYPES = (
            scramp_core.CbName.SUPPORTED_TYPES | {"tls-exporter"})
    log(f"scramp {getattr(scramp, '__version__', '?')}, {args.mech}")
    if args.mech.endswith("-PLUS") and args.cb_hex is None:
        return usage("a -PLUS mechanism needs --cb-hex")
    cb = channel_binding(args)
    try:
        if args.role == "client":
            return run_client(args, cb)
        return run_server(args, cb)
    except PeerGone as err:
        log("stopped:", err)
        return 1
    except ScramException as err:
        log("failed:", err)
        return 1


if __name__ == "__main__":
    sys.exit(main())
