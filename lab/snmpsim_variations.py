"""The variation modules every snmpsim shard of the lab loads, written into its work directory.

snmpsim executes each ``*.py`` of ``--variation-modules-dir`` as a variation module. The lab
writes two there at launch (their text is here, so the lab never imports snmpsim itself):

``numeric``
    snmpsim's own ``numeric`` module, executed as it is, with two changes. Its time base
    (``BOOTED``, otherwise the moment the process imported it) is the lab's epoch, the same for
    every shard: a counter is ``initial + (t - epoch) x rate`` whichever process serves it, so a
    shard started again, or a data file rewritten by a fault (:mod:`lab.fault_agents`), carries
    on from where it was. And a record's settings are parsed again when its text changes — snmpsim
    keeps them per OID for the life of the process, so a new rate would otherwise never apply.
``silence``
    Drops the request unanswered (snmpsim's ``NoDataNotification``): a failed device, or one cut
    off from the NOC, times out as a real one would. asyncio logs every such request as an error
    with its traceback, so the module filters exactly those records from asyncio's logger.
"""

from __future__ import annotations

from pathlib import Path

NUMERIC_MODULE = "numeric.py"
SILENCE_MODULE = "silence.py"

_NUMERIC_TEMPLATE = """\
# Written by ssnoc's lab (lab/snmpsim_variations.py): snmpsim's numeric variation module with the
# lab's time base, its settings read again whenever a record's text changes.
_SNMPSIM_NUMERIC = {path!r}
with open(_SNMPSIM_NUMERIC) as _source:
    exec(compile(_source.read(), _SNMPSIM_NUMERIC, "exec"))
BOOTED = {epoch!r}
_snmpsim_variate = variate


def variate(oid, tag, value, **context):
    if recordContext.get("lab_source") != value:
        recordContext.clear()
        recordContext["lab_source"] = value
    return _snmpsim_variate(oid, tag, value, **context)
"""

SILENCE_SOURCE = """\
# Written by ssnoc's lab (lab/snmpsim_variations.py): a device that answers nothing at all.
import logging

from snmpsim.error import NoDataNotification


def _not_a_silenced_request(record):
    exc = record.exc_info[1] if record.exc_info else None
    return not isinstance(exc, NoDataNotification)


def init(**context):
    logging.getLogger("asyncio").addFilter(_not_a_silenced_request)


def variate(oid, tag, value, **context):
    raise NoDataNotification()


def shutdown(**context):
    pass
"""


def numeric_source(snmpsim_numeric: Path, epoch_s: float) -> str:
    """The ``numeric`` module: snmpsim's at ``snmpsim_numeric``, counting from ``epoch_s``."""
    return _NUMERIC_TEMPLATE.format(path=str(snmpsim_numeric), epoch=float(epoch_s))


def write_variation_modules(directory: Path, snmpsim_numeric: Path, epoch_s: float) -> None:
    """Both modules into ``directory`` (replacing whatever was there under their names)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in (
        (NUMERIC_MODULE, numeric_source(snmpsim_numeric, epoch_s)),
        (SILENCE_MODULE, SILENCE_SOURCE),
    ):
        path = directory / name
        path.unlink(missing_ok=True)  # an older lab left a symlink to snmpsim's own module here
        path.write_text(text, encoding="utf-8")
