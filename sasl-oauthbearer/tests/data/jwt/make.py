#!/usr/bin/env python3
"""Mints the JWT fixtures for sasl-oauthbearer/tests/jwt.rs with PyJWT, an independent
implementation. Writes jwks.json, jwks_hmac.json and tokens.json next to this file.

Keys are random on every run (the generated files are committed), but the meaning of every
case is fixed: the same names, the same claims relative to NOW, the same expected outcome.
See README.md for how to run it.
"""

import base64
import hashlib
import hmac
import json
import os

import cryptography
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, HMACAlgorithm, OKPAlgorithm, RSAAlgorithm

HERE = os.path.dirname(os.path.abspath(__file__))

# The fixed "current time" every case is judged at (2026-01-01T00:00:00Z).
NOW = 1767225600
LEEWAY = 60
ISS = "https://issuer.example"
AUD = "imap.example.com"

# ---------------------------------------------------------------- keys


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


keys = {
    "rsa1": rsa_key(),  # plain RSA key, no `alg`: usable for RS* and PS*
    "rsa-pss": rsa_key(),  # `alg: PS256`
    "rsa-enc": rsa_key(),  # `use: enc`
    "rsa-other": rsa_key(),  # NOT in any JWKS: bad signatures and unknown kids
    "ec256": ec.generate_private_key(ec.SECP256R1()),  # `alg: ES256`
    "ec256b": ec.generate_private_key(ec.SECP256R1()),  # P-256 without `alg`
    "ec384": ec.generate_private_key(ec.SECP384R1()),  # `alg: ES384`
    "ed1": ed25519.Ed25519PrivateKey.generate(),  # `alg: EdDSA`
}
HS_SECRET = os.urandom(32)


def jwk(kid, extra=None):
    key = keys[kid]
    pub = key.public_key()
    if isinstance(key, rsa.RSAPrivateKey):
        d = RSAAlgorithm.to_jwk(pub, as_dict=True)
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        d = ECAlgorithm.to_jwk(pub, as_dict=True)
    else:
        d = OKPAlgorithm.to_jwk(pub, as_dict=True)
    d["kid"] = kid
    d.update(extra or {})
    return d


jwks = {
    "keys": [
        jwk("rsa1", {"use": "sig"}),
        jwk("rsa-pss", {"use": "sig", "alg": "PS256"}),
        jwk("rsa-enc", {"use": "enc"}),
        jwk("ec256", {"use": "sig", "alg": "ES256"}),
        jwk("ec256b"),
        jwk("ec384", {"alg": "ES384"}),
        jwk("ed1", {"alg": "EdDSA"}),
        # A key type the validator does not support: skipped, not an error.
        {"kty": "OKP", "crv": "X25519", "kid": "x25519", "use": "enc",
         "x": "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"},
    ]
}
hs_jwk = HMACAlgorithm.to_jwk(HS_SECRET, as_dict=True)
hs_jwk.update({"kid": "hs1", "alg": "HS256"})
jwks_hmac = {"keys": [hs_jwk, jwk("rsa1")]}

# ---------------------------------------------------------------- helpers


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def strict_b64_ok(text):
    """What a strict base64url-without-padding decoder accepts (canonical trailing bits)."""
    if len(text) % 4 == 1 or any(c not in
                                 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                                 for c in text):
        return False
    return b64(unb64(text)) == text


def claims(**over):
    c = {"iss": ISS, "aud": AUD, "sub": "alice", "iat": NOW - 10, "exp": NOW + 3600,
         "scope": "mail.read mail.send"}
    for k, v in over.items():
        k = k.rstrip("_")
        if v is DROP:
            c.pop(k, None)
        else:
            c[k] = v
    return c


DROP = object()


def sign(payload, alg="RS256", kid="rsa1", key=None, headers=None):
    """A JWS via PyJWT; payload is a dict (JWT claims) or raw bytes."""
    if key is None:
        key = HS_SECRET if alg.startswith("HS") else keys[kid]
    h = {} if kid is None else {"kid": kid}
    h.update(headers or {})
    if isinstance(payload, bytes):
        return jwt.api_jws.encode(payload, key, algorithm=alg, headers=h)
    return jwt.encode(payload, key, algorithm=alg, headers=h)


def manual_hs256(header_json, payload_json, secret):
    """HS256 by hand (PyJWT refuses PEM public keys as HMAC secrets, on purpose)."""
    signing_input = b64(header_json.encode()) + "." + b64(payload_json.encode())
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64(mac)


def manual_rs256(header_json, payload_bytes, kid="rsa1"):
    """RS256 over an exact header text (e.g. one with duplicate members)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    signing_input = b64(header_json.encode()) + "." + b64(payload_bytes)
    sig = keys[kid].sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64(sig)


cases = []


def case(name, token, expect, note, validator="default", identity=None, claim=None,
         scopes=None):
    alg = None
    try:
        alg = json.loads(unb64(token.split(".")[0])).get("alg")
        alg = alg if isinstance(alg, str) else None
    except Exception:
        pass
    c = {"name": name, "validator": validator, "token": token, "expect": expect, "alg": alg,
         "note": note}
    if identity is not None:
        c["identity"] = identity
    if claim is not None:
        c["claim"] = claim
    if scopes is not None:
        c["scopes"] = scopes
    cases.append(c)


# ---------------------------------------------------------------- accepted

case("rs256", sign(claims()), "ok", "RS256, rsa1", identity="alice",
     scopes=["mail.read", "mail.send"])
case("ps256", sign(claims(), "PS256"), "ok", "PS256 with rsa1 (no alg in the JWK)",
     identity="alice")
case("ps256-pss-key", sign(claims(), "PS256", "rsa-pss"), "ok", "PS256, JWK alg PS256",
     identity="alice")
case("es256", sign(claims(), "ES256", "ec256"), "ok", "ES256, P-256", identity="alice")
case("es256-noalg-key", sign(claims(), "ES256", "ec256b"), "ok",
     "ES256, P-256 key without alg", identity="alice")
case("es384", sign(claims(), "ES384", "ec384"), "ok", "ES384, P-384", identity="alice")
case("eddsa", sign(claims(), "EdDSA", "ed1"), "ok", "EdDSA, Ed25519", identity="alice")
case("hs256-allowed", sign(claims(), "HS256", "hs1"), "ok",
     "HS256 with the oct key, validator allows HS256", validator="hmac", identity="alice")
case("rs256-no-kid", sign(claims(), kid=None, key=keys["rsa1"]), "ok",
     "no kid: rsa1 is the only key usable for RS256 (rsa-pss is PS256, rsa-enc is enc)",
     identity="alice")
case("es384-no-kid", sign(claims(), "ES384", kid=None, key=keys["ec384"]), "ok",
     "no kid: ec384 is the only P-384 key", identity="alice")
case("aud-array", sign(claims(aud=["other.example", AUD])), "ok",
     "aud is an array containing ours", identity="alice")
case("float-dates", sign(claims(exp=NOW + 0.5 - LEEWAY + 1, iat=NOW - 0.25, nbf=NOW + 0.75)),
     "ok", "numeric dates as floats", identity="alice")
case("scp-array", sign(claims(scope=DROP, scp=["a", "b"])), "ok", "scopes from scp array",
     identity="alice", scopes=["a", "b"])
case("email-identity", sign(claims(email="alice@example.com")), "ok",
     "identity claim email", validator="email", identity="alice@example.com")
case("required-present", sign(claims(jti="id-1")), "ok", "required claim jti present",
     validator="required", identity="alice")
case("max-age-ok", sign(claims(iat=NOW - 100)), "ok", "iat 100 s ago, max age 300",
     validator="maxage", identity="alice")
case("typ-jwt", sign(claims(), headers={"typ": "at+jwt"}), "ok", "typ at+jwt",
     identity="alice")

# ---------------------------------------------------------------- leeway edges (leeway 60)
# expired  iff now >= exp + leeway
# not yet  iff now + leeway < nbf
# future   iff iat > now + leeway

case("exp-edge-expired", sign(claims(exp=NOW - LEEWAY, iat=NOW - 1000)), "Expired",
     "exp = now - leeway: now >= exp + leeway")
case("exp-edge-valid", sign(claims(exp=NOW - LEEWAY + 1, iat=NOW - 1000)), "ok",
     "exp = now - leeway + 1", identity="alice")
case("exp-edge-float-expired", sign(claims(exp=NOW - LEEWAY - 0.5, iat=NOW - 1000)), "Expired",
     "exp = now - leeway - 0.5")
case("exp-edge-float-valid", sign(claims(exp=NOW - LEEWAY + 0.5, iat=NOW - 1000)), "ok",
     "exp = now - leeway + 0.5", identity="alice")
case("nbf-edge-valid", sign(claims(nbf=NOW + LEEWAY)), "ok", "nbf = now + leeway",
     identity="alice")
case("nbf-edge-early", sign(claims(nbf=NOW + LEEWAY + 1)), "NotYetValid",
     "nbf = now + leeway + 1")
case("iat-edge-valid", sign(claims(iat=NOW + LEEWAY)), "ok", "iat = now + leeway",
     identity="alice")
case("iat-edge-future", sign(claims(iat=NOW + LEEWAY + 1)), "IssuedInFuture",
     "iat = now + leeway + 1")

# ---------------------------------------------------------------- rejected: claims

case("expired", sign(claims(exp=NOW - 3600, iat=NOW - 7200)), "Expired", "expired an hour ago")
case("not-yet-valid", sign(claims(nbf=NOW + 3600)), "NotYetValid", "nbf in an hour")
case("future-iat", sign(claims(iat=NOW + 3600, exp=NOW + 7200)), "IssuedInFuture",
     "iat in an hour")
case("wrong-iss", sign(claims(iss="https://evil.example")), "WrongIssuer", "other issuer")
case("iss-trailing-slash", sign(claims(iss=ISS + "/")), "WrongIssuer",
     "exact compare: trailing slash")
case("missing-iss", sign(claims(iss=DROP)), "MissingClaim", "no iss", claim="iss")
case("wrong-aud", sign(claims(aud="smtp.example.com")), "WrongAudience", "other audience")
case("wrong-aud-array", sign(claims(aud=["a.example", "b.example"])), "WrongAudience",
     "array without ours")
case("missing-aud", sign(claims(aud=DROP)), "MissingClaim", "no aud", claim="aud")
case("missing-exp", sign(claims(exp=DROP)), "MissingClaim", "no exp (required by default)",
     claim="exp")
case("exp-string", sign(claims(exp=str(NOW + 3600))), "Malformed", "exp is a string")
case("nbf-bool", sign(claims(nbf=True)), "Malformed", "nbf is a boolean")
case("missing-email", sign(claims()), "MissingIdentity", "identity claim email absent",
     validator="email")
case("sub-number", sign(claims(sub=12345)), "MissingIdentity", "sub is not a string")
case("sub-empty", sign(claims(sub="")), "MissingIdentity", "sub is empty")
case("missing-required", sign(claims()), "MissingClaim", "required claim jti absent",
     validator="required", claim="jti")
case("too-old", sign(claims(iat=NOW - 1000)), "TooOld", "iat 1000 s ago, max age 300",
     validator="maxage")
case("max-age-no-iat", sign(claims(iat=DROP)), "MissingClaim", "max age needs iat",
     validator="maxage", claim="iat")

# ---------------------------------------------------------------- rejected: signature and keys

good = sign(claims())
h, p, s = good.split(".")
sig = bytearray(unb64(s))
sig[len(sig) // 2] ^= 0x01
case("flipped-sig-byte", h + "." + p + "." + b64(bytes(sig)), "BadSignature",
     "one signature bit flipped")
case("other-key-same-kid", sign(claims(), kid="rsa1", key=keys["rsa-other"]), "BadSignature",
     "signed by a key not in the JWKS, with rsa1's kid")
tampered = b64(json.dumps(claims(sub="mallory"), separators=(",", ":")).encode())
case("tampered-payload", h + "." + tampered + "." + s, "BadSignature",
     "claims replaced after signing")
case("es256-flipped", (lambda t: t[0] + "." + t[1] + "." + b64(bytes(
    [b ^ (1 if i == 5 else 0) for i, b in enumerate(unb64(t[2]))])))(
    sign(claims(), "ES256", "ec256").split(".")), "BadSignature", "ES256, flipped bit")
case("eddsa-flipped", (lambda t: t[0] + "." + t[1] + "." + b64(bytes(
    [b ^ (1 if i == 40 else 0) for i, b in enumerate(unb64(t[2]))])))(
    sign(claims(), "EdDSA", "ed1").split(".")), "BadSignature", "EdDSA, flipped bit")
case("hs256-wrong-secret", sign(claims(), "HS256", "hs1", key=b"y" * 32), "BadSignature",
     "HS256 with another secret", validator="hmac")
case("unknown-kid", sign(claims(), kid="nope", key=keys["rsa-other"]), "UnknownKey",
     "kid not in the JWKS")
case("ps256-no-kid-ambiguous", sign(claims(), "PS256", kid=None, key=keys["rsa1"]),
     "UnknownKey", "no kid and two keys usable for PS256 (rsa1, rsa-pss)")
case("alg-none", jwt.encode(claims(), None, algorithm=None), "AlgorithmNotAllowed",
     "alg none, PyJWT algorithm=None")
case("alg-none-kid", jwt.encode(claims(), None, algorithm=None, headers={"kid": "rsa1"}),
     "AlgorithmNotAllowed", "alg none with a valid kid")
case("alg-None-case", b64(b'{"alg":"None","kid":"rsa1"}') + "." + p + ".", "AlgorithmNotAllowed",
     "alg None (other case)")
case("alg-unknown", b64(b'{"alg":"ES512","kid":"ec256"}') + "." + p + "." + s,
     "AlgorithmNotAllowed", "alg not supported")
case("hs256-not-allowed", sign(claims(), "HS256", "hs1"), "AlgorithmNotAllowed",
     "HS256 against the RS/PS/ES/EdDSA validator")
case("hs256-not-allowed-hmac-set", sign(claims(), "HS256", "hs1"), "AlgorithmNotAllowed",
     "HS256 against an RS256-only validator that holds the oct key", validator="hmac-set-rs")

rsa_pem = keys["rsa1"].public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
rsa_jwk_bytes = json.dumps(jwk("rsa1")).encode()
payload_json = json.dumps(claims(), separators=(",", ":"))
confused_pem = manual_hs256('{"alg":"HS256","kid":"rsa1","typ":"JWT"}', payload_json, rsa_pem)
confused_jwk = manual_hs256('{"alg":"HS256","kid":"rsa1","typ":"JWT"}', payload_json,
                            rsa_jwk_bytes)
confused_n = manual_hs256('{"alg":"HS256","kid":"rsa1"}', payload_json,
                          unb64(jwk("rsa1")["n"]))
for suffix, tok, what in [("pem", confused_pem, "PEM"), ("jwk", confused_jwk, "JWK JSON"),
                          ("n", confused_n, "modulus bytes")]:
    case("key-confusion-" + suffix, tok, "AlgorithmNotAllowed",
         "HS256 keyed with rsa1's public key (" + what + "), HS not allowed")
    case("key-confusion-" + suffix + "-hmac", tok, "KeyTypeMismatch",
         "HS256 keyed with rsa1's public key (" + what + "), kid points at RSA",
         validator="hmac")

case("es256-kid-rsa", sign(claims(), "ES256", kid="rsa1", key=keys["ec256"]), "KeyTypeMismatch",
     "ES256 header, kid is an RSA key")
case("es384-kid-p256", sign(claims(), "ES384", kid="ec256", key=keys["ec384"]),
     "KeyTypeMismatch", "ES384 header, kid is the P-256 key (alg ES256)")
case("es384-kid-p256-noalg", sign(claims(), "ES384", kid="ec256b", key=keys["ec384"]),
     "KeyTypeMismatch", "ES384 header, kid is a P-256 key without alg (curve check)")
case("eddsa-kid-ec", sign(claims(), "EdDSA", kid="ec256", key=keys["ed1"]), "KeyTypeMismatch",
     "EdDSA header, kid is an EC key")
case("rs256-kid-ec", sign(claims(), "RS256", kid="ec256", key=keys["rsa1"]), "KeyTypeMismatch",
     "RS256 header, kid is an EC key")
case("rs256-kid-pss-key", sign(claims(), "RS256", "rsa-pss"), "KeyTypeMismatch",
     "RS256 with a JWK whose alg is PS256")
case("rs256-kid-enc-key", sign(claims(), "RS256", "rsa-enc"), "KeyTypeMismatch",
     "RS256 with a JWK whose use is enc")
case("kid-x25519", sign(claims(), "EdDSA", kid="x25519", key=keys["ed1"]), "UnknownKey",
     "kid of an unsupported (skipped) key")

# ---------------------------------------------------------------- rejected: structure

case("empty", "", "Malformed", "empty string")
case("one-part", h, "Malformed", "header only")
case("two-parts", h + "." + p, "Malformed", "no signature part")
case("four-parts", good + "." + s, "Malformed", "four parts")
case("empty-signature", h + "." + p + ".", "BadSignature",
     "empty signature part (allowed by the syntax, so alg none is refused by its alg)")
case("empty-payload", h + ".." + s, "Malformed", "empty payload part")
case("cut-in-header", good[: len(h) // 2], "Malformed", "cut in the middle of the header")
case("cut-in-payload", good[: len(h) + 1 + len(p) // 2], "Malformed",
     "cut in the middle of the payload")
cut4 = s[: (len(s) // 2) // 4 * 4]
case("cut-in-signature", h + "." + p + "." + cut4, "BadSignature",
     "signature cut to a whole number of base64 quanta")
cut1 = s[: (len(s) // 2) // 4 * 4 + 1]
assert not strict_b64_ok(cut1)
case("cut-in-signature-odd", h + "." + p + "." + cut1, "Malformed",
     "signature cut to 4n+1 characters: not base64")
case("garbage-b64-header", "eyJ!!!." + p + "." + s, "Malformed", "bad base64 characters")
case("std-alphabet-sig", h + "." + p + "." + s.replace("-", "+").replace("_", "/")
     if ("-" in s or "_" in s) else h + "." + p + "." + s[:-2] + "+/", "Malformed",
     "standard base64 alphabet (+ /) in the signature")
hdr_pad = h + "=" * (-len(h) % 4) if len(h) % 4 else h + "=="
case("padded-header", hdr_pad + "." + p + "." + s, "Malformed", "base64 padding")
case("whitespace", " " + good, "Malformed", "leading space")
case("header-not-json", b64(b"not json") + "." + p + "." + s, "Malformed", "header not JSON")
case("header-array", b64(b'["RS256"]') + "." + p + "." + s, "Malformed", "header is an array")
case("header-no-alg", b64(b'{"kid":"rsa1"}') + "." + p + "." + s, "Malformed", "no alg")
case("header-alg-number", b64(b'{"alg":256,"kid":"rsa1"}') + "." + p + "." + s, "Malformed",
     "alg is a number")
case("header-kid-number", b64(b'{"alg":"RS256","kid":1}') + "." + p + "." + s, "Malformed",
     "kid is a number")
case("header-crit", sign(claims(), headers={"crit": ["exp"], "exp": NOW}), "Malformed",
     "crit present (properly signed)")
case("header-duplicate-alg", manual_rs256('{"alg":"none","alg":"RS256","kid":"rsa1"}',
                                          payload_json.encode()), "Malformed",
     "duplicate alg member (properly signed)")
case("claims-array", sign(b"[1,2,3]"), "Malformed", "claims are a JSON array (signed)")
case("claims-not-json", sign(b"hello"), "Malformed", "claims not JSON (signed)")
case("claims-duplicate-sub", manual_rs256('{"alg":"RS256","kid":"rsa1"}',
                                          (payload_json[:-1] + ',"sub":"mallory"}').encode()),
     "Malformed", "duplicate sub member (signed)")
case("too-large", sign(claims(pad="x" * 17000)), "TooLarge", "token over 16 KiB")

# ---------------------------------------------------------------- write

validators = [
    {"name": "default", "jwks": "jwks.json",
     "algorithms": ["RS256", "PS256", "ES256", "ES384", "EdDSA"]},
    {"name": "hmac", "jwks": "jwks_hmac.json", "algorithms": ["HS256"]},
    {"name": "hmac-set-rs", "jwks": "jwks_hmac.json", "algorithms": ["RS256"]},
    {"name": "email", "jwks": "jwks.json", "algorithms": ["RS256"], "identity_claim": "email"},
    {"name": "required", "jwks": "jwks.json", "algorithms": ["RS256"],
     "required_claims": ["jti"]},
    {"name": "maxage", "jwks": "jwks.json", "algorithms": ["RS256"], "max_age": 300},
]
for v in validators:
    v.setdefault("issuer", ISS)
    v.setdefault("audiences", [AUD, "smtp.other.example"])
    v.setdefault("leeway", LEEWAY)

names = [c["name"] for c in cases]
assert len(names) == len(set(names)), "duplicate case names"

out = {
    "generator": "make.py, PyJWT %s, cryptography %s" % (jwt.__version__,
                                                        cryptography.__version__),
    "now": NOW,
    "validators": validators,
    "cases": cases,
}
with open(os.path.join(HERE, "jwks.json"), "w") as f:
    json.dump(jwks, f, indent=2)
    f.write("\n")
with open(os.path.join(HERE, "jwks_hmac.json"), "w") as f:
    json.dump(jwks_hmac, f, indent=2)
    f.write("\n")
with open(os.path.join(HERE, "tokens.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print("%d cases" % len(cases))
