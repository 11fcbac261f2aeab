#!/usr/bin/env python3
"""Independent WebAuthn verifier for sasl-passkey's tests: Yubico's python-fido2
(`fido2.server.Fido2Server`) checks a registration or an assertion made by our Rust
SoftwareAuthenticator.

Reads one JSON object on stdin (all binary fields base64url without padding):

  {"op": "register", "rp_id", "origin", "challenge", "user_verification"?,
   "expect_fmt"?: "none"|"packed", "credential_id", "client_data_json",
   "attestation_object"}

  {"op": "authenticate", "rp_id", "origin", "challenge", "user_verification"?,
   "credential_public_key" (COSE_Key) or "attested_credential_data",
   "stored_credential_id"?, "allow_credentials"?: [ids],
   "expected_user_handle"?, "credential_id", "client_data_json",
   "authenticator_data", "signature", "user_handle"?}

Prints `OK <json details>` (exit 0) or `FAIL <reason>` (exit 1). The origin check is
an exact allow-list of the given origin (so native-app origins such as
`android:apk-key-hash:...` work too); attestation is verified with fido2's own
attestation classes (`none` and `packed`, self attestation included).
"""

import json
import sys
import traceback

from fido2 import cbor
from fido2.attestation import Attestation
from fido2.cose import CoseKey
from fido2.server import Fido2Server
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import (
    Aaguid,
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorData,
    CollectedClientData,
    PublicKeyCredentialRpEntity,
    UserVerificationRequirement,
)


def b64(data):
    return websafe_encode(bytes(data))


def uv_requirement(req):
    value = req.get("user_verification")
    return UserVerificationRequirement(value) if value else None


def server_for(req, verify_attestation=None):
    origin = req["origin"]
    return Fido2Server(
        PublicKeyCredentialRpEntity(name="sasl-passkey test", id=req["rp_id"]),
        attestation="direct" if verify_attestation else None,
        verify_origin=lambda o: o == origin,
        verify_attestation=verify_attestation,
    )


def flags_of(auth_data):
    names = [f.name for f in AuthenticatorData.FLAG if f.name in
             ("UP", "UV", "BE", "BS", "AT", "ED") and auth_data.flags & f]
    return {"flags": int(auth_data.flags), "flag_names": names}


def canonical(raw):
    """Whether fido2's CTAP2-canonical encoder gives back the same bytes."""
    value, rest = cbor.decode_from(raw)
    return not rest and cbor.encode(value) == raw


def register(req):
    client_data_json = websafe_decode(req["client_data_json"])
    attestation_object = websafe_decode(req["attestation_object"])
    expect_fmt = req.get("expect_fmt")
    attestation_result = {}

    def verify_attestation(att_obj, client_data_hash):
        if expect_fmt is not None and att_obj.fmt != expect_fmt:
            raise ValueError(f"fmt {att_obj.fmt!r}, expected {expect_fmt!r}")
        verifier = Attestation.for_type(att_obj.fmt)()
        result = verifier.verify(att_obj.att_stmt, att_obj.auth_data, client_data_hash)
        attestation_result["type"] = result.attestation_type.name
        attestation_result["fmt"] = att_obj.fmt

    server = server_for(req, verify_attestation)
    _, state = server.register_begin(
        {"id": b"unused", "name": "unused"},
        user_verification=uv_requirement(req),
        challenge=websafe_decode(req["challenge"]),
    )
    response = {
        "id": req["credential_id"],
        "rawId": req["credential_id"],
        "type": "public-key",
        "response": {
            "clientDataJSON": req["client_data_json"],
            "attestationObject": req["attestation_object"],
        },
    }
    auth_data = server.register_complete(state, response)
    cred = auth_data.credential_data
    if cred is None:
        raise ValueError("no attested credential data")
    if cred.credential_id != websafe_decode(req["credential_id"]):
        raise ValueError("credential id in authData differs from rawId")
    if not attestation_result:
        raise ValueError("attestation was not verified")
    client_data = CollectedClientData(client_data_json)
    public_key_cose = cbor.encode(dict(cred.public_key))
    return {
        "credential_id": b64(cred.credential_id),
        "aaguid": str(cred.aaguid),
        "alg": cred.public_key.ALGORITHM,
        "key_type": type(cred.public_key).__name__,
        "public_key_cose": b64(public_key_cose),
        "attested_credential_data": b64(cred),
        "sign_count": auth_data.counter,
        **flags_of(auth_data),
        "attestation": attestation_result,
        "client_data_type": client_data.type,
        "cross_origin": client_data.cross_origin,
        "attestation_object_canonical": canonical(attestation_object),
    }


def stored_credential(req):
    if "attested_credential_data" in req:
        return AttestedCredentialData(websafe_decode(req["attested_credential_data"]))
    key = CoseKey.parse(cbor.decode(websafe_decode(req["credential_public_key"])))
    cred_id = websafe_decode(req.get("stored_credential_id", req["credential_id"]))
    return AttestedCredentialData.create(Aaguid.NONE, cred_id, key)


def authenticate(req):
    credential = stored_credential(req)
    allow = req.get("allow_credentials") or []
    server = server_for(req)
    descriptors = (
        [{"type": "public-key", "id": websafe_decode(i)} for i in allow] if allow else None
    )
    _, state = server.authenticate_begin(
        descriptors,
        user_verification=uv_requirement(req),
        challenge=websafe_decode(req["challenge"]),
    )
    # WebAuthn 7.2 step 1, which Fido2Server leaves to the caller.
    if allow and req["credential_id"] not in allow:
        raise ValueError("credential not in allowCredentials")
    response = {
        "id": req["credential_id"],
        "rawId": req["credential_id"],
        "type": "public-key",
        "response": {
            "clientDataJSON": req["client_data_json"],
            "authenticatorData": req["authenticator_data"],
            "signature": req["signature"],
        },
    }
    if req.get("user_handle") is not None:
        response["response"]["userHandle"] = req["user_handle"]
    server.authenticate_complete(state, [credential], response)
    # Step 2, also the caller's: the user handle names the credential's owner.
    expected_user = req.get("expected_user_handle")
    if expected_user is not None and req.get("user_handle") != expected_user:
        raise ValueError("user handle does not match")
    auth_data = AuthenticatorData(websafe_decode(req["authenticator_data"]))
    if auth_data.flags & AuthenticatorData.FLAG.AT:
        raise ValueError("AT flag set in an assertion")
    if auth_data.flags & AuthenticatorData.FLAG.BS and not (
        auth_data.flags & AuthenticatorData.FLAG.BE
    ):
        raise ValueError("BS set without BE")
    client_data = CollectedClientData(websafe_decode(req["client_data_json"]))
    return {
        "credential_id": req["credential_id"],
        "sign_count": auth_data.counter,
        **flags_of(auth_data),
        "client_data_type": client_data.type,
        "cross_origin": client_data.cross_origin,
        "user_handle": req.get("user_handle"),
    }


def main():
    try:
        req = json.load(sys.stdin)
        op = req.get("op")
        if op == "register":
            details = register(req)
        elif op == "authenticate":
            details = authenticate(req)
        else:
            raise ValueError(f"unknown op {op!r}")
    except Exception as e:  # noqa: BLE001 - every failure is a verdict
        reason = f"{type(e).__name__}: {e}".replace("\n", " ")
        print(f"FAIL {reason}")
        traceback.print_exc(file=sys.stderr)
        return 1
    print("OK " + json.dumps(details, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
