"""Who sent a request: the client's address as far as it can be trusted, and the route it asked for."""

from __future__ import annotations

import functools
import ipaddress
import logging

from flask import request

from ivr.web.extension import current_runtime

log = logging.getLogger(__name__)

DEFAULT_TRUSTED_PROXIES = "127.0.0.1"  # gunicorn's default (and the setting's, ivr/settings.py)


def client_address() -> str:
    """Return the address of the client, as far as it can be trusted.

    The peer's own address, unless the peer is a proxy gunicorn trusts (FORWARDED_ALLOW_IPS, or a local
    socket such as nginx's in scripts/serve): then the last X-Forwarded-For entry, the one that proxy added.
    A client's own X-Forwarded-For is never believed.
    """
    peer = request.remote_addr or ""
    forwarded = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
    if forwarded and _is_address(forwarded) and _trusted_proxy(peer):
        return forwarded
    return peer or "local"


def request_route() -> str:
    """Return the request's method and route (its URL rule, without the call's SID)."""
    return f"{request.method} {request.url_rule.rule if request.url_rule else request.path}"


def _trusted_proxy(peer: str) -> bool:
    """Tell whether the peer is a proxy whose X-Forwarded-For gunicorn's settings would believe."""
    if not _is_address(peer):
        return True  # a Unix socket: only local processes reach it
    allowed = str(current_runtime().settings.get("FORWARDED_ALLOW_IPS") or DEFAULT_TRUSTED_PROXIES)
    if "*" in (entry.strip() for entry in allowed.split(",")):
        return True
    address = ipaddress.ip_address(peer)
    return any(address in network for network in _networks(allowed))


@functools.lru_cache(maxsize=8)
def _networks(allowed: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Return the networks of a FORWARDED_ALLOW_IPS value (addresses and networks, comma-separated)."""
    networks = []
    for entry in filter(None, (entry.strip() for entry in allowed.split(","))):
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            log.warning("FORWARDED_ALLOW_IPS: %r is not an address or network: ignored", entry)
    return tuple(networks)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
