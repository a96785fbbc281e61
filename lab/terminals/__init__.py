"""The lab's card-terminal simulator: a few thousand terminals beating into the NOC's API.

:mod:`lab.terminals.fleet` generates the terminals from the lab province (per county, by seed);
:mod:`lab.terminals.csv_export` writes them in the registry's CSV import format, so the lab's
enrollment can register them; :mod:`lab.terminals.faults` picks the few that misbehave;
:mod:`lab.terminals.behaviour` is what one terminal reports and how it takes a new version;
:mod:`lab.terminals.reachability` silences the counties the lab's faults cut off;
:mod:`lab.terminals.simulator` sends the heartbeats and counts what came of them
(:mod:`lab.terminals.stats`) from what it is given (:mod:`lab.terminals.inputs`);
``python -m lab.terminals`` runs it (:mod:`lab.terminals.__main__`).

Like the rest of the lab this imports ``core`` only: the heartbeat's JSON shapes are written down
here again rather than taken from ``card_fleet``.
"""

SIMULATOR_PID_FILE = "terminals.pid"
"""In the lab directory: the pid of the running simulator, so ``lab down`` stops it too."""
