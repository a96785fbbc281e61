"""topology — the network as a graph: paths, redundancy, impact, failover state, root causes.

Pure logic over the inventory (:class:`core.model.Inventory`) and what was observed of it; no I/O.
Each module has one entry point (import it from the module: this package imports nothing, so
importing one module does not load the others or networkx):

- :mod:`topology.graph` — :func:`build_topology` → :class:`Topology` (a networkx MultiGraph with
  the observed state of every device and link);
- :mod:`topology.paths` — :func:`site_paths`: primary and backup path of every city and county
  node; :func:`primary_paths`, :func:`current_paths`;
- :mod:`topology.redundancy` — :func:`find_single_points_of_failure`: articulation points,
  bridges, shared and missing backup paths, each explained, listed per region;
- :mod:`topology.impact` — :class:`ImpactAnalyser` / :func:`impact_of`: what one failure (now or
  what-if) cuts off and what it leaves on a single path;
- :mod:`topology.failover` — :func:`assess_failover` and :class:`FailoverTracker` (events
  ``LinkFailedOver``, ``SiteIsolated``, ``SiteRestored``);
- :mod:`topology.root_cause` — :func:`find_root_causes`: one cause per group of failures, for
  alerting;
- :mod:`topology.discovery` — inventory links against what LLDP neighbours report.

Inputs and shared result types are in :mod:`topology.model`; the state DB's link states come from
:func:`core.state.link_states.read_link_states` and fit :func:`build_topology` as they are.
"""
