"""The peer of the outbox benchmark: Python's smtplib sends COUNT copies of a mail to the test
SMTP server (STARTTLS, AUTH), either with a connection per mail or with one connection for all,
and prints the seconds it took.

Usage: smtp_peer.py PORT CERT USER PASSWORD MAIL COUNT per|one
"""

import smtplib
import ssl
import sys
import time


def main():
    port, cert, user, password, mail, count, mode = sys.argv[1:8]
    context = ssl.create_default_context(cafile=cert)
    with open(mail, "rb") as f:
        body = f.read()
    count = int(count)

    def connect():
        s = smtplib.SMTP("localhost", int(port))
        s.starttls(context=context)
        s.login(user, password)
        return s

    start = time.perf_counter()
    if mode == "per":
        for _ in range(count):
            s = connect()
            s.sendmail("an.peeters@example.be", ["aanmelding@ocmw.example"], body)
            s.quit()
    else:
        s = connect()
        for _ in range(count):
            s.sendmail("an.peeters@example.be", ["aanmelding@ocmw.example"], body)
        s.quit()
    print(f"{time.perf_counter() - start:.4f}")


if __name__ == "__main__":
    main()
