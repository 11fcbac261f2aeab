#!/usr/bin/env python3
"""Independent software WebAuthn authenticator for sasl-passkey's tests: keys and
signatures from `cryptography`, CBOR from python-fido2's CTAP2-canonical encoder,
nothing from our Rust code. It stands in for `soft-webauthn` (PyPI), which requires
fido2 < 2 and does ES256 only.

Reads one JSON object on stdin (binary fields base64url without padding):

  {"rp_id": "example.com", "origin": "https://imap.example.com",
   "user_handle": "<b64url>", "user_name": "alice",
   "alg": -7 | -8,                          (default -7)
   "challenge": "<b64url>",                 (registration)
   "assertion_challenges": ["<b64url>", ...],
   "user_verified": true,                   (UV flag; default true)
   "backup": [false, false],                (BE, BS; default both clear)
   "counter": true,                         (default true: 1, 2, ... per assertion)
   "attestation": "none" | "packed",        (default none; packed = self attestation)
   "client_data_style": "compact" | "spaced"}
     compact: {"type":...,"challenge":...,"origin":...,"crossOrigin":false}
     spaced:  json.dumps default separators, no crossOrigin (as soft-webauthn and
              some older clients write it; a verifier must really parse the JSON)

Prints one JSON object:

  {"registration": {"credential_id", "client_data_json", "attestation_object",
                    "authenticator_data", "public_key_cose", "alg", "transports"},
   "assertions": [{"credential_id", "authenticator_data", "client_data_json",
                   "signature", "user_handle", "sign_count", "flags"}, ...]}
"""

import hashlib
import json
import os
import struct
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fido2 import cbor
from fido2.utils import websafe_decode, websafe_encode

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64(data):
    return websafe_encode(bytes(data))


class Credential:
    def __init__(self, alg):
        self.alg = alg
        self.id = os.urandom(32)
        if alg == -7:
            self.key = ec.generate_private_key(ec.SECP256R1())
            point = self.key.public_key().public_bytes(
                Encoding.X962, PublicFormat.UncompressedPoint
            )
            self.cose = {1: 2, 3: -7, -1: 1, -2: point[1:33], -3: point[33:65]}
        elif alg == -8:
            self.key = ed25519.Ed25519PrivateKey.generate()
            raw = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
            self.cose = {1: 1, 3: -8, -1: 6, -2: raw}
        else:
            raise ValueError(f"unsupported alg {alg}")

    def sign(self, message):
        if self.alg == -7:
            return self.key.sign(message, ec.ECDSA(hashes.SHA256()))  # DER
        return self.key.sign(message)  # raw 64 bytes


def client_data(kind, challenge, origin, style):
    fields = {"type": kind, "challenge": b64(challenge), "origin": origin}
    if style == "spaced":
        return json.dumps(fields).encode()
    fields["crossOrigin"] = False
    return json.dumps(fields, separators=(",", ":")).encode()


def main():
    req = json.load(sys.stdin)
    rp_id = req["rp_id"]
    origin = req["origin"]
    user_handle = websafe_decode(req["user_handle"])
    style = req.get("client_data_style", "compact")
    be, bs = req.get("backup", [False, False])
    flags = UP | (UV if req.get("user_verified", True) else 0)
    flags |= (BE if be else 0) | (BS if bs else 0)
    counting = req.get("counter", True)
    rp_id_hash = hashlib.sha256(rp_id.encode()).digest()

    cred = Credential(req.get("alg", -7))
    cose_key = cbor.encode(cred.cose)

    # Registration.
    cdj = client_data("webauthn.create", websafe_decode(req["challenge"]), origin, style)
    auth_data = (
        rp_id_hash
        + struct.pack(">BI", flags | AT, 0)
        + b"\0" * 16
        + struct.pack(">H", len(cred.id))
        + cred.id
        + cose_key
    )
    if req.get("attestation", "none") == "packed":
        sig = cred.sign(auth_data + hashlib.sha256(cdj).digest())
        fmt, stmt = "packed", {"alg": cred.alg, "sig": sig}
    else:
        fmt, stmt = "none", {}
    attestation_object = cbor.encode({"fmt": fmt, "attStmt": stmt, "authData": auth_data})
    registration = {
        "credential_id": b64(cred.id),
        "client_data_json": b64(cdj),
        "attestation_object": b64(attestation_object),
        "authenticator_data": b64(auth_data),
        "public_key_cose": b64(cose_key),
        "alg": cred.alg,
        "transports": ["internal"],
    }

    # Assertions.
    assertions = []
    count = 0
    for challenge in req.get("assertion_challenges", []):
        if counting:
            count += 1
        cdj = client_data("webauthn.get", websafe_decode(challenge), origin, style)
        auth_data = rp_id_hash + struct.pack(">BI", flags, count)
        signature = cred.sign(auth_data + hashlib.sha256(cdj).digest())
        assertions.append(
            {
                "credential_id": b64(cred.id),
                "authenticator_data": b64(auth_data),
                "client_data_json": b64(cdj),
                "signature": b64(signature),
                "user_handle": b64(user_handle),
                "sign_count": count,
                "flags": flags,
            }
        )

    json.dump({"registration": registration, "assertions": assertions}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
