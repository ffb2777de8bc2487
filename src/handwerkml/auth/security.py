"""Password hashing, signed tokens and API key material. No database access here."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from handwerkml.kit.time import utcnow

TokenType = Literal["access", "refresh"]
API_KEY_PREFIX = "hwml_"
_ALGORITHM = "HS256"
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verifying against this when the email is unknown keeps login timing the same
# for known and unknown accounts.
DUMMY_PASSWORD_HASH = hash_password(secrets.token_urlsafe(16))


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: int
    tenant_id: int
    role: str
    type: TokenType
    expires_at: datetime


def create_token(
    *, user_id: int, tenant_id: int, role: str, type: TokenType, lifetime: timedelta, secret: str
) -> str:
    now = utcnow()
    payload = {
        "sub": str(user_id),
        "tid": tenant_id,
        "role": role,
        "typ": type,
        "iat": now,
        "exp": now + lifetime,
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(payload, secret, algorithm=_ALGORITHM)


def decode_token(token: str, *, secret: str, expected: TokenType) -> TokenClaims | None:
    """The claims of a valid, unexpired token of the expected type, else None."""
    try:
        payload = jwt.decode(token, secret, algorithms=[_ALGORITHM], options={"require": ["exp"]})
        claims = TokenClaims(
            user_id=int(payload["sub"]),
            tenant_id=int(payload["tid"]),
            role=str(payload["role"]),
            type=payload["typ"],
            expires_at=datetime.fromtimestamp(payload["exp"], tz=utcnow().tzinfo),
        )
    except (jwt.PyJWTError, KeyError, ValueError, TypeError):
        return None
    return claims if claims.type == expected else None


def generate_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def looks_like_api_key(credential: str) -> bool:
    return credential.startswith(API_KEY_PREFIX)
