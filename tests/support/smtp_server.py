"""A real SMTP server on loopback for the outbox tests (aiosmtpd).

STARTTLS is required before AUTH, AUTH before mail. Recipients steer the answer, so each test can
meet a real server's behaviour:
  tijdelijk@...  -> 451 at RCPT (try again later)
  onbekend@...   -> 550 at RCPT (mailbox unknown)
  afbreken@...   -> the connection is dropped in the middle of DATA
  anything else  -> accepted; the message is written to <dir>/<n>.eml

Usage: smtp_server.py DIR CERT KEY USER PASSWORD. Prints "PORT <n>" once listening; stops when
its standard input closes, so it never outlives the test that started it.
"""

import asyncio
import itertools
import warnings
import os
import socket
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Handler:
    def __init__(self, folder):
        self.folder = folder
        self.counter = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        if local == "tijdelijk":
            return "451 4.3.0 Tijdelijk probleem, probeer later"
        if local == "onbekend":
            return "550 5.1.1 Mailbox onbekend"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        path = os.path.join(self.folder, f"{next(self.counter)}.eml")
        with open(path, "wb") as out:
            out.write(envelope.original_content)
        return "250 OK: bewaard"


class DroppingSMTP(SMTP):
    """Drops the connection as soon as the client starts sending the message of a DATA command
    for afbreken@...: the mail is half-way over the wire when the line goes dead."""

    async def smtp_DATA(self, arg):
        if any(r.startswith("afbreken@") for r in self.envelope.rcpt_tos):
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            await asyncio.sleep(0.2)
            self.transport.close()
            return
        await super().smtp_DATA(arg)


class DroppingController(Controller):
    def factory(self):
        return DroppingSMTP(self.handler, **self.SMTP_kwargs)


def main():
    warnings.simplefilter("ignore")  # aiosmtpd's own deprecation notices are not ours to fix
    folder, cert, key, user, password = sys.argv[1:6]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = DroppingController(
        Handler(folder),
        hostname="127.0.0.1",
        port=port,
        server_hostname="localhost",
        tls_context=context,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=authenticate,
    )
    controller.start()
    print(f"PORT {port}", flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
