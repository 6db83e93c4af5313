"""A small UDP DNS responder on loopback answering SRV (and any other) records from a table."""

from __future__ import annotations

import socket
import threading

import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from tests.testbed.ports import LOOPBACK


class DnsServer:
    """Answers queries from .records: {("_imaps._tcp.bed.test", "SRV"): ["0 1 993 host."]}."""

    def __init__(self) -> None:
        """Bind a free loopback UDP port; start() answers in a thread."""
        self.records: dict[tuple[str, str], list[str]] = {}
        self.queries: list[tuple[str, str]] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((LOOPBACK, 0))
        self._sock.settimeout(0.2)
        self.host = LOOPBACK
        self.port: int = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="testbed-dns", daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) for discovery's dns_server option."""
        return self.host, self.port

    def add(self, name: str, rtype: str, *values: str) -> None:
        """Publish values (zone-file rdata text) for name and type."""
        key = (name.lower().rstrip("."), rtype.upper())
        self.records.setdefault(key, []).extend(values)

    def start(self) -> None:
        """Answer queries until stop()."""
        self._thread.start()

    def stop(self) -> None:
        """Stop answering and close the socket."""
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self._sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                query = dns.message.from_wire(data)
            except dns.exception.DNSException:  # a garbled datagram is dropped, as servers do
                continue
            self._sock.sendto(self._answer(query).to_wire(), peer)

    def _answer(self, query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        rtype = dns.rdatatype.to_text(question.rdtype)
        self.queries.append((name, rtype))
        values = self.records.get((name, rtype))
        if not values:
            known = any(n == name for n, _ in self.records)
            response.set_rcode(dns.rcode.NOERROR if known else dns.rcode.NXDOMAIN)
            return response
        response.answer.append(
            dns.rrset.from_text_list(question.name, 60, dns.rdataclass.IN, rtype, values)
        )
        return response
