"""Independent oracle for PBS KeyConfig tests (pbs-key-config/src/lib.rs), written from the spec.

Reads one JSON request on stdin, writes one JSON answer on stdout:
  {"op": "wrap", "key": hex, "password": str, "kdf": "scrypt"|"pbkdf2", "hint": str, "created": str}
      -> a KeyConfig object
  {"op": "unwrap", "config": KeyConfig, "password": str} -> {"key": hex, "fingerprint": str}
  {"op": "fingerprint", "key": hex} -> {"fingerprint": str}
"""
import base64
import hashlib
import json
import os
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

FINGERPRINT_INPUT = hashlib.sha256(b"Proxmox Backup Encryption Key Fingerprint").digest()


def fingerprint(key: bytes) -> str:
    id_key = hashlib.pbkdf2_hmac("sha256", key, b"_id_key", 10, 32)
    return ":".join(f"{b:02x}" for b in hashlib.sha256(FINGERPRINT_INPUT + id_key).digest())


def kek(kdf: dict, password: bytes) -> bytes:
    if "Scrypt" in kdf:
        s = kdf["Scrypt"]
        return Scrypt(salt=base64.b64decode(s["salt"]), length=32, n=s["n"], r=s["r"], p=s["p"]).derive(password)
    s = kdf["PBKDF2"]
    return PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=base64.b64decode(s["salt"]), iterations=s["iter"]).derive(password)


def wrap(req: dict) -> dict:
    key = bytes.fromhex(req["key"])
    salt = base64.b64encode(os.urandom(32)).decode()
    kdf = {"Scrypt": {"n": 65536, "r": 8, "p": 1, "salt": salt}} if req["kdf"] == "scrypt" else {"PBKDF2": {"iter": 65535, "salt": salt}}
    iv = os.urandom(16)
    sealed = AESGCM(kek(kdf, req["password"].encode())).encrypt(iv, key, b"")
    ciphertext, tag = sealed[:-16], sealed[-16:]
    return {
        "kdf": kdf,
        "created": req["created"],
        "modified": req["created"],
        "data": base64.b64encode(iv + tag + ciphertext).decode(),
        "fingerprint": fingerprint(key),
        "hint": req["hint"],
    }


def unwrap(req: dict) -> dict:
    config = req["config"]
    raw = base64.b64decode(config["data"])
    iv, tag, ciphertext = raw[:16], raw[16:32], raw[32:]
    key = AESGCM(kek(config["kdf"], req["password"].encode())).decrypt(iv, ciphertext + tag, b"")
    return {"key": key.hex(), "fingerprint": fingerprint(key)}


req = json.load(sys.stdin)
op = req["op"]
if op == "wrap":
    out = wrap(req)
elif op == "unwrap":
    out = unwrap(req)
else:
    out = {"fingerprint": fingerprint(bytes.fromhex(req["key"]))}
json.dump(out, sys.stdout)
