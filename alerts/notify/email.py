"""The e-mail channel: a multipart (text + HTML) message over SMTP.

smtplib runs in a worker thread (``asyncio.to_thread``): one connection per message, STARTTLS and
login when configured. Mail clients thread one group's notifications together: every message
``References`` the same group id (``<group-<hash>@domain>``); ``X-Ssnoc-Fingerprint`` carries the
headline alert's fingerprint (``X-Ssnoc-Fingerprints`` all of them) for filters and tooling. The
Message-ID comes from the delivery id, so a retried message is recognisably the same.

SMTP answers decide what is retryable: 4xx (e.g. 451 "try later", 452) and a connection that
failed or dropped are; 5xx (550 no such user, 535 bad login) are final. Recipients the server
accepted are not sent the message again when the others are retried.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import smtplib
import ssl
from datetime import UTC, tzinfo
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from alerts.notify.channel import DeliveryFailed, RecipientProgress, one_line
from alerts.notify.message import AlertMessage
from alerts.notify.render import email_content
from core.clock import Clock


class EmailConfig(BaseModel):
    """One SMTP relay and who gets the mail."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str
    """SMTP server name or address."""
    port: int = Field(default=25, ge=1, le=65535)
    sender: str
    """The From address."""
    recipients: tuple[str, ...] = Field(min_length=1)
    """The To addresses."""
    starttls: bool = False
    """Upgrade the connection with STARTTLS before anything else (and before login)."""
    ca_file: str | None = None
    """PEM file of the CA that signed the server's certificate; ``None`` uses the system's."""
    username: str | None = None
    """Log in as this user when set."""
    password: SecretStr | None = None
    timeout_s: float = Field(default=30.0, gt=0)
    """Seconds for connecting and for each SMTP command."""
    local_hostname: str | None = None
    """The name given in EHLO; ``None`` lets smtplib use this host's name."""
    message_id_domain: str = "ssnoc.local"
    """Right-hand side of Message-IDs and of the group thread id."""
    timezone: str = "UTC"
    """Zone times are shown in (an IANA name such as ``Asia/Shanghai``)."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {name!r}") from exc
        return name


def _zone(name: str) -> tzinfo:
    return UTC if name == "UTC" else ZoneInfo(name)


def thread_id(group_key: str, domain: str) -> str:
    """``<group-<hash>@domain>``: the id every message of one alert group refers to."""
    digest = hashlib.sha256(group_key.encode("utf-8")).hexdigest()[:24]
    return f"<group-{digest}@{domain}>"


class EmailChannel:
    """Mails notifications through one SMTP server."""

    def __init__(self, name: str, config: EmailConfig, *, clock: Clock) -> None:
        self._name = name
        self._config = config
        self._clock = clock
        self._progress = RecipientProgress()

    @property
    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"EmailChannel({self._name!r}, {self._config.host}:{self._config.port})"

    def build(self, message: AlertMessage) -> EmailMessage:
        """The e-mail for ``message`` (headers, text part, HTML alternative)."""
        config = self._config
        content = email_content(message, tz=_zone(config.timezone))
        mail = EmailMessage()
        mail["Subject"] = content.subject
        mail["From"] = config.sender
        mail["To"] = ", ".join(config.recipients)
        mail["Date"] = format_datetime(self._clock.now())
        if message.delivery_id:
            mail["Message-ID"] = f"<{message.delivery_id}@{config.message_id_domain}>"
        else:
            mail["Message-ID"] = make_msgid(domain=config.message_id_domain)
        group = thread_id(message.group_key, config.message_id_domain)
        mail["In-Reply-To"] = group
        mail["References"] = group
        mail["X-Ssnoc-Fingerprint"] = _flat(message.headline.fingerprint)
        mail["X-Ssnoc-Fingerprints"] = _flat(" ".join(message.fingerprints))
        mail["X-Ssnoc-Status"] = message.status.value
        mail["X-Ssnoc-Reason"] = message.reason.value
        mail["X-Ssnoc-Receiver"] = _flat(message.receiver)
        mail.set_content(content.text)
        mail.add_alternative(content.html, subtype="html")
        return mail

    async def send(self, message: AlertMessage) -> None:
        """Mail every recipient that has not got this delivery yet; raise
        :class:`~alerts.notify.channel.DeliveryFailed` otherwise."""
        outstanding = self._progress.outstanding(message.delivery_id, self._config.recipients)
        if not outstanding:
            self._progress.forget(message.delivery_id)
            return
        try:
            mail = self.build(message)
        except ValueError as exc:  # a header value the e-mail format cannot carry
            reason = f"cannot build the e-mail: {exc}"
            raise DeliveryFailed(self._name, reason, retryable=False) from None
        try:
            refused = await asyncio.to_thread(self._transmit, mail, outstanding)
        except smtplib.SMTPRecipientsRefused as exc:
            refused = dict(exc.recipients)
        retry = {r: _answer(code, text) for r, (code, text) in refused.items() if 400 <= code < 500}
        final = {r: _answer(code, text) for r, (code, text) in refused.items() if r not in retry}
        accepted = [r for r in outstanding if r not in refused]
        self._progress.settle(
            self._name, message.delivery_id, accepted=accepted, retry=retry, final=final
        )

    def _transmit(self, mail: EmailMessage, recipients: list[str]) -> dict[str, tuple[int, bytes]]:
        """Runs in a worker thread: one SMTP session. Returns the refused recipients."""
        config = self._config
        where = f"SMTP {config.host}:{config.port}"
        try:
            with smtplib.SMTP(
                config.host,
                config.port,
                timeout=config.timeout_s,
                local_hostname=config.local_hostname,
            ) as smtp:
                smtp.ehlo()
                if config.starttls:
                    smtp.starttls(context=ssl.create_default_context(cafile=config.ca_file))
                    smtp.ehlo()
                if config.username is not None:
                    password = config.password.get_secret_value() if config.password else ""
                    _login(smtp, config.username, password)
                return dict(smtp.send_message(mail, config.sender, recipients))
        except smtplib.SMTPRecipientsRefused:
            raise
        except smtplib.SMTPResponseException as exc:
            retryable = 400 <= exc.smtp_code < 500
            reason = f"{where} answered {_answer(exc.smtp_code, exc.smtp_error)}"
            raise DeliveryFailed(self._name, reason, retryable=retryable) from None
        except smtplib.SMTPNotSupportedError as exc:
            reason = f"{where}: {one_line(str(exc))}"
            raise DeliveryFailed(self._name, reason, retryable=False) from None
        except ssl.SSLCertVerificationError as exc:
            reason = f"{where}: certificate not trusted ({exc.verify_message})"
            raise DeliveryFailed(self._name, reason, retryable=False) from None
        except (smtplib.SMTPException, OSError) as exc:
            # Dropped connections, refused connections, timeouts, TLS hiccups: try again later.
            detail = one_line(str(exc)) or type(exc).__name__
            reason = f"{where}: {detail}"
            raise DeliveryFailed(self._name, reason, retryable=True) from None


def _login(smtp: smtplib.SMTP, username: str, password: str) -> None:
    """Log in; a non-ASCII user name or password goes as UTF-8 AUTH PLAIN (RFC 4616), which
    smtplib's own login cannot send (it encodes credentials as ASCII)."""
    if (username + password).isascii():
        smtp.login(username, password)
        return
    credentials = b"\0" + username.encode("utf-8") + b"\0" + password.encode("utf-8")
    code, answer = smtp.docmd("AUTH", "PLAIN " + base64.b64encode(credentials).decode("ascii"))
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, answer)


def _flat(value: str) -> str:
    """Header values on one line: a newline in a value would inject a header."""
    return " ".join(value.split())


def _answer(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {one_line(text)}"
