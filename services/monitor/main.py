"""`foundry-platform monitor`: arguments, wiring and a clean shutdown on SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

from foundry_lib.adapters.foundry_api import FoundryClient
from foundry_lib.adapters.kubernetes_api import KubernetesAPI
from foundry_lib.durations import DURATION_PATTERN, parse_duration
from foundry_lib.errors import UserError
from foundry_lib.settings import PlatformSettings, env_key
from services.monitor.endpoint import DEFAULT_TEMPLATE, EndpointTemplate, TemplateError
from services.monitor.loop import Monitor
from services.status_server import StatusServer

log = logging.getLogger("foundry.monitor")


def build_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--once", action="store_true", help="run one cycle and exit (1 when it failed)")
    parser.add_argument(
        "--interval",
        help=f"time between cycles, like 30s or 1m (default: {env_key('monitor_interval')}, else 30s)",
    )
    parser.add_argument(
        "--endpoint-template",
        default=DEFAULT_TEMPLATE,
        help="URL of an instance's Foundry with {name} and {namespace}; /api/status is appended "
        f"(default: {DEFAULT_TEMPLATE})",
    )
    parser.add_argument(
        "--host",
        default="0.0.0.0",  # noqa: S104  (a pod: the kubelet and Prometheus probe from outside)
        help="address for /healthz and /metrics (default: 0.0.0.0)",
    )
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=9090,
        help="port for /healthz and /metrics; 0 picks a free one, logged (default: 9090)",
    )
    parser.add_argument("--concurrency", type=int, default=64, help="instances polled at once (default: 64)")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per Foundry request (default: 5)")
    parser.add_argument(
        "--namespace",
        action="append",
        default=[],
        help="watch only this namespace (repeatable) when the monitor may not list cluster-wide "
        "(default: every namespace)",
    )
    parser.add_argument(
        "--kubeconfig",
        help="kubeconfig file, used even in a pod (default: in-cluster, then $KUBECONFIG, ~/.kube/config)",
    )
    return parser


def _interval(text: str | None, settings: PlatformSettings) -> timedelta:
    if text is None:
        return settings.monitor_interval_delta
    if not re.fullmatch(DURATION_PATTERN, text) or parse_duration(text) < timedelta(seconds=1):
        raise UserError(f"--interval {text!r} must be a duration of at least 1s, like 30s, 1m or 1m30s")
    return parse_duration(text)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    try:
        settings = PlatformSettings.from_env(os.environ)  # FOUNDRY_MONITOR_INTERVAL, ..._RETENTION
        interval = _interval(args.interval, settings)
        endpoint = EndpointTemplate.parse(args.endpoint_template)
        if args.concurrency < 1 or args.timeout <= 0:
            raise UserError("--concurrency must be at least 1 and --timeout above 0")
    except (UserError, TemplateError) as err:
        print(f"foundry-platform monitor: {err}", file=sys.stderr)
        return 2
    try:
        kube = KubernetesAPI.from_environment(config_file=args.kubeconfig, pool_size=args.concurrency)
    except Exception as err:  # the client's configuration errors: no service account, no kubeconfig
        print(f"foundry-platform monitor: cannot reach the Kubernetes API: {err}", file=sys.stderr)
        return 1
    foundry = FoundryClient(timeout=args.timeout)
    monitor = Monitor(
        kube,
        foundry,
        endpoint=endpoint,
        interval=interval,
        concurrency=args.concurrency,
        clock=lambda: datetime.now(UTC),
        namespaces=tuple(args.namespace),
        retention=settings.activation_retention_delta,
    )
    stop = threading.Event()
    server = None
    try:
        if args.once:
            return 0 if monitor.cycle().ok else 1
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        try:
            server = StatusServer(
                args.host,
                args.metrics_port,
                healthy=lambda: _healthy(monitor),
                metrics=monitor.metrics.exposition,
            )
        except OSError as err:
            print(
                f"foundry-platform monitor: cannot serve on {args.host}:{args.metrics_port}: {err}",
                file=sys.stderr,
            )
            return 1
        log.info("serving /healthz and /metrics on %s:%d", args.host, server.port)
        log.info("monitoring every %s, endpoints %s", interval, endpoint.template)
        monitor.run(stop.wait)
        log.info("stopped")
        return 0
    finally:
        if server is not None:
            server.close()
        monitor.close()
        foundry.close()
        kube.close()


def _healthy(monitor: Monitor) -> bool:
    """A cycle completed within three intervals (a first cycle is given as long)."""
    limit = 3 * monitor.interval.total_seconds()
    last = monitor.last_success if monitor.last_success is not None else monitor.started
    return time.monotonic() - last <= limit


def monitor_main(argv: list[str]) -> int:
    parser = build_parser(argparse.ArgumentParser(prog="foundry-platform monitor", description=__doc__))
    return run(parser.parse_args(argv))
