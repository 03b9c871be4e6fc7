"""A real SMTP server on loopback for the outbox tests (aiosmtpd).

STARTTLS is required before AUTH, AUTH before mail. Recipients steer the answer, so each test can
meet a real server's behaviour:
  tijdelijk@...  -> 451 at RCPT (try again later)
  onbekend@...   -> 550 at RCPT (mailbox unknown)
  geweigerd@...  -> 550 at RCPT for a policy of the server's ("Recipient address rejected:
                    Access denied"), not about the address
  tegroot@...    -> 552 after the mail (too large for the server)
  afbreken@...   -> the connection is dropped at DATA, before any of the mail went
  zwijgen@...    -> the whole mail is taken (and kept), then the connection closes unanswered
  hangen@...     -> the whole mail is taken (and kept), and no answer ever comes
  anything else  -> accepted; the message is written to <dir>/<n>.eml
A sender at vreemd.example is refused at MAIL FROM ("550 5.1.0 ... Sender address rejected"), as
Postfix refuses an address its user does not own.

Sign-in: AUTH PLAIN/LOGIN with USER and PASSWORD (the password "later" gets 454, a temporary
failure; "uitgeschakeld" gets Microsoft 365's 535 5.7.139, SMTP sign-in switched off); with an INTROSPECTION url also AUTH XOAUTH2,
each token checked at the OAuth provider (RFC 7662) as Exchange Online checks its own: it must be
active, for the XOAUTH2 user, with the "smtp" scope. Each XOAUTH2 sign-in is noted (never the
token) in DIR/../xoauth2.log.

Usage: [SMTP_PORT=n] smtp_server.py DIR CERT KEY USER PASSWORD [INTROSPECTION CLIENT SECRET]. Prints
"PORT <n>" once listening; stops when its standard input closes, so it never outlives the test
that started it.
"""

import asyncio
import base64
import itertools
import json
import logging
import warnings
import os
import socket
import ssl
import sys
import urllib.parse
import urllib.request

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Handler:
    def __init__(self, folder, introspection=None):
        self.folder = folder
        self.counter = itertools.count(1)
        self.introspection = introspection

    async def auth_XOAUTH2(self, server, args):
        """AUTH XOAUTH2 <base64 of "user=U^Aauth=Bearer T^A^A">, checked at the provider."""
        refused = AuthResult(success=False, handled=False, message="535 5.7.8 Token ongeldig")
        if self.introspection is None or len(args) < 2:
            return refused
        try:
            text = base64.b64decode(args[1]).decode()
            fields = dict(p.split("=", 1) for p in text.split("\x01") if "=" in p)
            user = fields["user"]
            token = fields["auth"].removeprefix("Bearer ")
        except (ValueError, KeyError):
            return refused
        url, client, secret = self.introspection
        request = urllib.request.Request(
            url,
            data=urllib.parse.urlencode(
                {"token": token, "client_id": client, "client_secret": secret}
            ).encode(),
        )
        answer = await asyncio.get_running_loop().run_in_executor(
            None, lambda: json.load(urllib.request.urlopen(request, timeout=10))
        )
        good = (
            answer.get("active") is True
            and answer.get("sub") == user
            and "smtp" in answer.get("scope", "").split()
        )
        with open(os.path.join(self.folder, "..", "xoauth2.log"), "a") as log:
            log.write(f"{user} {'ok' if good else 'refused'}\n")
        if good:
            return AuthResult(success=True, auth_data=user)
        return refused

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if address.lower().endswith("@vreemd.example"):
            return (
                f"550 5.1.0 <{address}>: Sender address rejected: "
                "User unknown in local recipient table"
            )
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        if local == "tijdelijk":
            return "451 4.3.0 Tijdelijk probleem, probeer later"
        if local == "onbekend":
            return "550 5.1.1 Mailbox onbekend"
        if local == "geweigerd":
            return f"550 5.7.1 <{address}>: Recipient address rejected: Access denied"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if any(r.startswith("tegroot@") for r in envelope.rcpt_tos):
            return "552 5.3.4 Message size exceeds fixed maximum message size"
        path = os.path.join(self.folder, f"{next(self.counter)}.eml")
        with open(path, "wb") as out:
            out.write(envelope.original_content)
        if any(r.startswith("zwijgen@") for r in envelope.rcpt_tos):
            server.transport.close()
        elif any(r.startswith("hangen@") for r in envelope.rcpt_tos):
            # Cancelled by aiosmtpd when the client gives up and closes the connection.
            await asyncio.sleep(3600)
        return "250 OK: bewaard"


class DroppingSMTP(SMTP):
    """Drops the connection at the DATA command for afbreken@..., without an answer: the line
    goes dead just before the mail would go."""

    async def smtp_DATA(self, arg):
        if any(r.startswith("afbreken@") for r in self.envelope.rcpt_tos):
            self.transport.close()
            return
        await super().smtp_DATA(arg)


class DroppingController(Controller):
    def factory(self):
        return DroppingSMTP(self.handler, **self.SMTP_kwargs)


def main():
    # aiosmtpd's own deprecation notices are not ours to fix: as warnings, and as a log line at
    # every AUTH ("Session.login_data is deprecated"), which filled the benchmark's output.
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    folder, cert, key, user, password = sys.argv[1:6]
    introspection = tuple(sys.argv[6:9]) if len(sys.argv) >= 9 else None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticate(server, session, envelope, mechanism, auth_data):
        # Two passwords steer the answer as a busy server and Microsoft 365 give it.
        said = isinstance(auth_data, LoginPassword) and auth_data.password.decode()
        if said == "later":
            return AuthResult(success=False, handled=False, message="454 4.7.0 Temporary authentication failure")
        if said == "uitgeschakeld":
            return AuthResult(
                success=False,
                handled=False,
                message="535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.",
            )
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        # handled=False: aiosmtpd then answers 535 itself; True would leave the client waiting.
        return AuthResult(success=ok, handled=False)

    # SMTP_PORT: a server that comes back on the port where an earlier one was down.
    port = int(os.environ.get("SMTP_PORT", "0"))
    if port == 0:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    controller = DroppingController(
        Handler(folder, introspection),
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
