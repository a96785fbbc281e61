"""Assembling the alert service from the settings: rules, alerting configuration, stores,
channels and the delivery queue, all over the state DB.

The composition root calls :func:`build_alert_service` once; tests call it too, with fake
channels (``channel_factory``) and a fake clock. Alerts, silences, maintenance windows and
on-call overrides are read back from the state DB before it returns: a restarted server carries
on where it stopped.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine

from alerts.alerting_config import AlertingConfig, load_alerting_config
from alerts.channel_book import (
    ChannelBook,
    ChannelFactory,
    SettingsChannelFactory,
    build_channel_book,
)
from alerts.evaluation import AlertEngine
from alerts.notify.delivery import DeliveryQueue, RetryPolicy, Sleep
from alerts.notify.sql_log import SqlNotificationLog
from alerts.observation import MetricsSource
from alerts.pipeline import AlertPipeline
from alerts.rules import DEFAULT_RULES_PATH, RuleSet, load_rule_files
from alerts.service import AlertService
from alerts.snapshot_source import StateSnapshotSource
from alerts.sql_store import SqlAlertStore
from alerts.sql_suppression_store import SqlSuppressionStore
from alerts.suppressions import Suppressions
from core.clock import Clock
from core.events import EventBus
from core.model import Inventory
from core.settings import AlertSettings
from core.state.configs import ConfigRepository
from core.state.repository import StateRepository
from topology.monitor import TopologyMonitor


def load_rules(settings: AlertSettings) -> RuleSet:
    """The rule files the settings name (the shipped set by default); every problem of every
    file in one :class:`~alerts.rules.RuleFileError`."""
    paths = settings.rules_paths if settings.rules_paths is not None else (DEFAULT_RULES_PATH,)
    return load_rule_files(paths)


def load_config(settings: AlertSettings) -> AlertingConfig | None:
    """The alerting configuration the settings name (None: nobody is notified);
    :class:`~alerts.alerting_config.AlertingConfigError` when it is wrong."""
    path = settings.alerting_config_path
    return None if path is None else load_alerting_config(path)


def build_alert_service(
    settings: AlertSettings,
    *,
    inventory: Inventory,
    db: Engine,
    state: StateRepository,
    topology: TopologyMonitor,
    metrics: MetricsSource,
    clock: Clock,
    bus: EventBus | None = None,
    configs: ConfigRepository | None = None,
    channel_factory: ChannelFactory | None = None,
    retry_policy: RetryPolicy | None = None,
    sleep: Sleep | None = None,
    rand: Callable[[], float] = random.random,
) -> AlertService:
    """The alert service of ``inventory`` over the state DB ``db``, restored from it.

    ``channel_factory`` builds each receiver's channels (default: real webhook, e-mail and SMS
    channels configured from ``settings``); ``sleep`` and ``rand`` go to the delivery queue.
    Raises :class:`~core.errors.ConfigError` for a wrong rule file or alerting configuration."""
    rules = load_rules(settings)
    config = load_config(settings)
    alert_store = SqlAlertStore(db)
    engine = AlertEngine(rules, alert_store)
    suppressions = Suppressions(
        SqlSuppressionStore(db),
        windows=config.maintenance if config is not None else (),
        schedules=config.schedules if config is not None else (),
    )
    make = channel_factory or SettingsChannelFactory(settings, clock)
    book = build_channel_book(config.receivers, make) if config is not None else ChannelBook({}, {})
    pipeline = AlertPipeline(
        engine,
        StateSnapshotSource(inventory, db, state, configs),
        topology,
        metrics,
        suppressions,
        config=config,
        channels=book,
        bus=bus,
    )
    pipeline.restore(clock.now())
    notification_log = SqlNotificationLog(db)
    queue = DeliveryQueue(
        book.channels,
        notification_log,
        clock,
        policy=retry_policy,
        rand=rand,
        sleep=sleep or asyncio.sleep,
    )
    return AlertService(
        pipeline,
        queue,
        notification_log,
        clock,
        evaluate_every_s=settings.evaluate_every_s,
        retention=timedelta(days=settings.resolved_retention_days),
        alert_store=alert_store,
    )
