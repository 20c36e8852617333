"""deploy/k8s: valid against the Kubernetes schemas, probed, scaled, budgeted, configured."""

from __future__ import annotations

from dataclasses import fields

import kubernetes_validate
import pytest
import yaml

from shared import config
from tests.deploy.support import (
    APP_IMAGE,
    DEPLOY,
    compose,
    manifests,
    of_kind,
    pinned,
    process,
)

KUBERNETES_VERSION = "1.33.0"  # the oldest version the manifests are checked against
SCALED = {"crm-api", "crm-worker", "scheduler-worker", "notifier-worker"}


def pod_specs() -> dict[str, dict]:
    specs = {name: d["spec"]["template"]["spec"] for name, d in of_kind("Deployment").items()}
    return specs | {name: d["spec"]["template"]["spec"] for name, d in of_kind("Job").items()}


def kustomization() -> dict:
    return yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())


@pytest.mark.parametrize("version", [KUBERNETES_VERSION, "1.37.0"])
def test_every_manifest_passes_the_kubernetes_schemas_strictly(version):
    for doc in manifests():
        kubernetes_validate.validate(doc, version, strict=True)


def test_kustomize_applies_every_manifest_file():
    files = {p.name for p in (DEPLOY / "k8s").glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization()["resources"]) == files


def test_the_cluster_runs_the_same_processes_as_compose():
    in_compose = {
        process(svc["command"])
        for svc in compose()["services"].values()
        if svc["image"].startswith(f"{APP_IMAGE}:")
    }
    in_cluster = {process(spec["containers"][0]["command"]) for spec in pod_specs().values()}
    assert in_cluster == in_compose


def test_every_process_has_readiness_and_liveness_probes_on_its_health_endpoints():
    for name, deployment in of_kind("Deployment").items():
        spec = deployment["spec"]["template"]["spec"]
        container = spec["containers"][0]
        ports = {p["name"] for p in container["ports"]}
        ready, live = container["readinessProbe"]["httpGet"], container["livenessProbe"]["httpGet"]
        assert ready["path"] == "/health" and ready["port"] in ports, name
        assert live["path"] == "/metrics" and live["port"] in ports, name
        waits = spec["initContainers"][0]["command"]
        assert waits[:3] == ["crm-ops", "migrate", "--check"], f"{name} starts before migrations"


def test_api_and_workers_scale_out_and_every_deployment_has_a_disruption_budget():
    deployments = of_kind("Deployment")
    targets = {
        h["spec"]["scaleTargetRef"]["name"] for h in of_kind("HorizontalPodAutoscaler").values()
    }
    assert targets == SCALED
    for name in SCALED:
        assert "replicas" not in deployments[name]["spec"], f"{name}: leave the count to the HPA"
    budgets = [
        p["spec"]["selector"]["matchLabels"] for p in of_kind("PodDisruptionBudget").values()
    ]
    for name, deployment in deployments.items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert any(sel.items() <= labels.items() for sel in budgets), f"{name} has no budget"
    assert deployments["scheduler"]["spec"]["replicas"] >= 2


def test_configuration_comes_from_the_configmap_and_the_generated_secret_only():
    config_maps = set(of_kind("ConfigMap"))
    secrets = {g["name"] for g in kustomization()["secretGenerator"]}
    gunicorn = (DEPLOY / "gunicorn.conf.py").read_text()
    settings = {config.variable(f.name) for f in fields(config.Settings)}
    for name, spec in pod_specs().items():
        for container in spec["containers"] + spec.get("initContainers", []):
            assert "env" not in container, f"{name}: settings belong in the ConfigMap or Secret"
            refs = container["envFrom"]
            assert {r["configMapRef"]["name"] for r in refs if "configMapRef" in r} <= config_maps
            assert {r["secretRef"]["name"] for r in refs if "secretRef" in r} <= secrets
            assert pinned(container["image"]), container["image"]
    for key in of_kind("ConfigMap")["crm-config"]["data"]:
        assert key in settings or f'"{key}"' in gunicorn, f"{key} is read by nothing"
    example = (DEPLOY / "k8s" / "secrets.env.example").read_text()
    for key in ("DATABASE_URL", "BROKER_URL", "REDIS_URL", "WEBHOOK_SECRET"):
        assert f"\n{key}=" in f"\n{example}"


def test_pods_run_as_a_non_root_user_on_a_read_only_file_system():
    for name, spec in pod_specs().items():
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        for container in spec["containers"] + spec.get("initContainers", []):
            assert container["securityContext"]["readOnlyRootFilesystem"] is True, name


def test_only_the_migration_job_holds_the_schema_owners_secret():
    generated = {g["name"]: g["envs"] for g in kustomization()["secretGenerator"]}
    assert generated["crm-migration-secrets"] == ["migration-secrets.env"]
    example = (DEPLOY / "k8s" / "migration-secrets.env.example").read_text()
    assert "\nMIGRATION_DATABASE_URL=" in f"\n{example}"
    assert "migration-secrets.env" in (DEPLOY / "k8s" / ".gitignore").read_text().split()
    for name, spec in pod_specs().items():
        for container in spec["containers"] + spec.get("initContainers", []):
            refs = {r["secretRef"]["name"] for r in container["envFrom"] if "secretRef" in r}
            assert ("crm-migration-secrets" in refs) == (name == "crm-migrate"), name
    assert of_kind("ConfigMap")["crm-config"]["data"]["ENVIRONMENT"] == "production"
