"""Dashboard, alerts and scrape configuration query series the processes really expose."""

from __future__ import annotations

import inspect
import json
import re

import dramatiq.middleware.prometheus

from shared.metrics import SERIES
from shared.worker_metrics import SERIES as WORKER_SERIES
from tests.deploy.support import DEPLOY, compose, load

RABBITMQ = {
    "rabbitmq_detailed_queue_messages",
    "rabbitmq_detailed_queue_messages_ready",
    "rabbitmq_detailed_queue_consumers",
}
KNOWN = (
    {name for names in SERIES.values() for name in names} | set(WORKER_SERIES) | RABBITMQ | {"up"}
)
SERIES_PREFIXES = ("crm_", "scheduler_", "notifier_", "dramatiq_", "rabbitmq_")


def series_in(expr: str) -> set[str]:
    names = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", re.sub(r'"[^"]*"', "", expr)))
    used = {n for n in names if n.startswith(SERIES_PREFIXES)} | ({"up"} & names)
    return {re.sub(r"_(bucket|count|sum)$", "", n) for n in used}


def dashboard_exprs() -> list[str]:
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "crm-dashboard.json").read_text())
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]


def alert_rules() -> list[dict]:
    return [
        rule
        for group in load(DEPLOY / "prometheus" / "alerts.yml")["groups"]
        for rule in group["rules"]
    ]


def test_the_worker_series_are_the_ones_dramatiq_defines():
    source = inspect.getsource(dramatiq.middleware.prometheus)
    assert all(f'"{name}"' in source for name in WORKER_SERIES)


def test_every_dashboard_panel_queries_series_the_services_expose():
    exprs = dashboard_exprs()
    assert exprs
    for expr in exprs:
        assert series_in(expr) and series_in(expr) <= KNOWN, expr


def test_every_alert_queries_known_series_and_links_a_runbook_section():
    readme = (DEPLOY / "README.md").read_text()
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", heading.strip().lower()).replace(" ", "-")
        for heading in re.findall(r"^#+ (.+)$", readme, re.MULTILINE)
    }
    for rule in alert_rules():
        assert series_in(rule["expr"]) <= KNOWN, rule["alert"]
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        page, _, anchor = rule["annotations"]["runbook_url"].partition("#")
        assert page == "deploy/README.md" and anchor in anchors, rule["alert"]


def test_prometheus_scrapes_every_process_of_the_compose_file():
    scraped = {
        name
        for job in load(DEPLOY / "prometheus" / "prometheus.yml")["scrape_configs"]
        for sd in job.get("dns_sd_configs", [])
        for name in sd["names"]
    }
    processes = {
        name
        for name, svc in compose()["services"].items()
        if svc["image"].startswith("crm-loop:") and name != "migrate"
    }
    assert processes <= scraped
