"""Where deliveries may go (SSRF, ADR 0068).

A webhook URL is typed by a tenant's admin and called by our worker, inside our network: left
unchecked it reaches the cloud's metadata service (169.254.169.254), the database, or anything
on loopback. So a target must be https (plain http only where the setting allows it: the
development default), and every address its host resolves to must be public: not private,
loopback, link-local, shared (CGNAT), reserved, multicast or unspecified, IPv4 embedded in IPv6
(mapped, 6to4, Teredo, NAT64) included. ``FRONTDESK_WEBHOOKS_ALLOW_PRIVATE`` lets internal
addresses through (a receiver on the same network; the tests' local receiver).

The check runs when a subscription is created (a 422) and again at every delivery, on the
address the sender then connects to (``resolve``): a name that resolved to a public address
yesterday and to 127.0.0.1 now (DNS rebinding) is refused then.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from application.webhooks.ports import TargetRefused

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system's resolver, /etc/hosts included)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: IpAddress, *, allow_private: bool) -> str | None:
    """Why deliveries may not go to ``address``, or None when they may."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return refusal(embedded, allow_private=allow_private)
    if address.is_unspecified or address.is_multicast:
        return f"{address} is not a host address"
    if allow_private or (address.is_global and not address.is_reserved):
        return None
    if address.is_loopback:
        return f"{address} is a loopback address"
    if address.is_link_local:
        return f"{address} is a link-local address (cloud metadata services live there)"
    return f"{address} is a private or reserved address"


@dataclass(frozen=True, slots=True)
class Target:
    """A checked target: the URL's parts and the addresses it may be reached at."""

    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


class UrlTargets:
    """The policy (``WebhookTargets`` port) and, for the sender, the addresses to connect to."""

    def __init__(self, *, https_only: bool, allow_private: bool,
                 resolve: Resolver = system_resolver) -> None:
        self.https_only, self.allow_private = https_only, allow_private
        self._resolve = resolve

    def check(self, url: str) -> None:
        self.target(url)

    def target(self, url: str) -> Target:
        """The URL's host resolved and every address checked; TargetRefused otherwise."""
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise TargetRefused("not a valid URL") from None
        if parts.scheme not in ("http", "https"):
            raise TargetRefused("must be an http(s) URL")
        if self.https_only and parts.scheme != "https":
            raise TargetRefused("must be https")
        host = (parts.hostname or "").rstrip(".").lower()
        if not host:
            raise TargetRefused("must name a host")
        try:
            literal: IpAddress | None = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            addresses = [str(literal)]
        else:
            if host.endswith(".localhost") and not self.allow_private:  # RFC 6761
                raise TargetRefused(f"{host} is a loopback name")
            try:
                addresses = self._resolve(host, port)
            except (OSError, ValueError):  # UnicodeError is a ValueError
                raise TargetRefused(f"{host} cannot be resolved") from None
            if not addresses:
                raise TargetRefused(f"{host} cannot be resolved")
        for address in addresses:
            reason = refusal(ipaddress.ip_address(address.split("%", 1)[0]),
                             allow_private=self.allow_private)
            if reason is not None:
                shown = reason if literal is not None else f"{host} resolves to {reason}"
                raise TargetRefused(f"refused: {shown}")
        return Target(parts.scheme, host, port, tuple(addresses))
