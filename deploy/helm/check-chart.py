#!/usr/bin/env python3
"""Renders the `dataspace` chart with Helm's own template engine and checks the result.

No `helm` binary is needed: the engine comes from the PyPI package helm-python-sdk (Helm v4's
Go SDK behind a C ABI). The rendered manifests are parsed as YAML and validated against the
Kubernetes OpenAPI schemas of kubernetes-validate. Set up once:

    python3 -m venv /tmp/chart-venv
    /tmp/chart-venv/bin/pip install helm-python-sdk kubernetes-validate pyyaml
    /tmp/chart-venv/bin/python deploy/helm/check-chart.py

Scenarios: every value combination the templates branch on (component on or off, Secret from
values or existing, TLS at the pod or at the Ingress, Ingress, CA bundle, extra volumes,
membership credential), plus values that must be refused (schema) and missing required values
(template `required`). Exit status 0 only when every check passed.
"""

from __future__ import annotations

import copy
import pathlib
import sys
import tomllib

import helm_python as helm
import kubernetes_validate
import yaml

CHART = pathlib.Path(__file__).resolve().parent / "dataspace"
KUBE_VERSION = "1.30"

AUTHORITY_JWK = (
    '{"kty":"EC","crv":"P-256","x":"MsJ-2IjwVqmqotpCqHTr91jjNCHDLFJdYHEm5Kdr1cY",'
    '"y":"8gnRqkY7-xY1LV6GT7ZHGCiYuJ3nKWZbFeSEZxHCpqg","kid":"did:web:broker.datenraum.example#authority-key"}'
)

failures: list[str] = []


def fail(scenario: str, message: str) -> None:
    failures.append(f"{scenario}: {message}")


def deep_merge(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def render(chart: helm.Chart, values: dict) -> dict[str, str]:
    chart.validate_schema(values)
    return chart.render(values=values, name="rel", namespace="datenraum", is_install=True)


def documents(manifests: dict[str, str]) -> list[tuple[str, dict]]:
    docs = []
    for path, text in sorted(manifests.items()):
        if path.endswith("NOTES.txt"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc is not None:
                docs.append((path, doc))
    return docs


def check_manifests(scenario: str, values: dict, manifests: dict[str, str]) -> list[dict]:
    docs = documents(manifests)
    names = set()
    for path, doc in docs:
        kind = doc.get("kind")
        name = doc.get("metadata", {}).get("name")
        if not kind or not name:
            fail(scenario, f"{path}: a document without kind or metadata.name")
            continue
        if (kind, name) in names:
            fail(scenario, f"{path}: {kind}/{name} rendered twice")
        names.add((kind, name))
        try:
            kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)
        except kubernetes_validate.ValidationError as e:
            fail(scenario, f"{path}: {kind}/{name} is not a valid Kubernetes {KUBE_VERSION} object: {e.message} at {list(e.path)}")
        except kubernetes_validate.SchemaNotFoundError as e:
            fail(scenario, f"{path}: no schema for {kind}: {e}")
    for _, doc in docs:
        if doc["kind"] == "StatefulSet":
            check_statefulset(scenario, values, doc, {(d["kind"], d["metadata"]["name"]) for _, d in docs})
        if doc["kind"] == "ConfigMap":
            for key, text in doc.get("data", {}).items():
                if key.endswith(".toml"):
                    try:
                        config = tomllib.loads(text)
                    except tomllib.TOMLDecodeError as e:
                        fail(scenario, f"ConfigMap {doc['metadata']['name']} {key}: not TOML: {e}")
                        continue
                    check_tls(scenario, values, key.removesuffix(".toml"), config)
    return [d for _, d in docs]


def check_tls(scenario: str, values: dict, component: str, config: dict) -> None:
    """TLS at the pod exactly when tls.secretName is set (the probes' scheme follows it)."""
    tls = config.get("tls", {})
    proxied = tls.get("behind_proxy" if component == "broker" else "terminated_by_proxy", False)
    secret = values[component]["tls"]["secretName"]
    if secret and (proxied or not str(tls.get("cert_file", "")).startswith("/etc/dataspace/tls/")):
        fail(scenario, f"{component}: tls.secretName is set, but the configuration does not read /etc/dataspace/tls/")
    if not secret and not proxied:
        fail(scenario, f"{component}: no tls.secretName, but the configuration does not say a proxy ends TLS")


def check_statefulset(scenario: str, values: dict, sts: dict, rendered: set) -> None:
    name = sts["metadata"]["name"]
    component = "broker" if name.endswith("-broker") else "connector"
    pod = sts["spec"]["template"]["spec"]
    container = pod["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        if "httpGet" not in container.get(probe, {}):
            fail(scenario, f"{name}: no HTTP {probe}")
            continue
        target = container[probe]["httpGet"]["port"]
        if target not in ports:
            fail(scenario, f"{name}: {probe} probes port {target!r}, which the container does not name")
        scheme = container[probe]["httpGet"]["scheme"]
        wants = "HTTPS" if values[component]["tls"]["secretName"] else "HTTP"
        if scheme != wants:
            fail(scenario, f"{name}: {probe} uses {scheme}, expected {wants}")
    security = container["securityContext"]
    if not security.get("readOnlyRootFilesystem") or security.get("allowPrivilegeEscalation") is not False:
        fail(scenario, f"{name}: the container must have a read-only root and no privilege escalation")
    if not pod["securityContext"].get("runAsNonRoot"):
        fail(scenario, f"{name}: the pod must run as non-root")
    volumes = {v["name"]: v for v in pod["volumes"]}
    claims = {c["metadata"]["name"] for c in sts["spec"].get("volumeClaimTemplates", [])}
    for c in pod["containers"] + pod.get("initContainers", []):
        for mount in c.get("volumeMounts", []):
            if mount["name"] not in volumes and mount["name"] not in claims:
                fail(scenario, f"{name}: {c['name']} mounts {mount['name']!r}, which is no volume")
    if "/data" not in [m["mountPath"] for m in container["volumeMounts"]]:
        fail(scenario, f"{name}: the data folder /data is not mounted")
    for vol in volumes.values():
        ref = vol.get("configMap", {}).get("name")
        if ref and ("ConfigMap", ref) not in rendered:
            fail(scenario, f"{name}: volume {vol['name']} names ConfigMap {ref}, which is not rendered")
        secret = vol.get("secret", {}).get("secretName")
        existing = values[component]["secret"]["existingSecret"]
        external = {values[component]["tls"]["secretName"], existing}
        if secret and secret not in external and ("Secret", secret) not in rendered:
            fail(scenario, f"{name}: volume {vol['name']} names Secret {secret}, which is not rendered")


def expect_refusal(chart: helm.Chart, scenario: str, values: dict, needle: str) -> None:
    try:
        render(chart, values)
    except helm.HelmError as e:
        if needle not in str(e):
            fail(scenario, f"refused, but the message does not name {needle!r}: {e}")
        return
    fail(scenario, f"rendered although it must be refused ({needle})")


def main() -> int:
    chart = helm.Chart.load(CHART)
    defaults = chart.values

    report = helm.lint(str(CHART), values={"broker": {"enabled": True, "secret": {"authorityKey": "k", "adminToken": "t" * 16}},
                                          "connector": {"enabled": True, "trust": {"authorityKey": AUTHORITY_JWK},
                                                        "secret": {"participantKey": "k", "managementToken": "t"}}},
                       strict=True, kube_version="v" + KUBE_VERSION + ".0")
    for message in report.get("messages", []):
        if message.get("severity", 0) >= 2:
            fail("helm lint", f"{message.get('path')}: {message.get('error')}")
    for error in report.get("errors", []):
        fail("helm lint", error)

    broker_inline = {"broker": {"enabled": True, "secret": {"authorityKey": '{"kty":"EC"}', "adminToken": "0123456789abcdef0123"}}}
    connector_inline = {"connector": {"enabled": True, "trust": {"authorityKey": AUTHORITY_JWK},
                                      "secret": {"participantKey": '{"kty":"EC"}', "managementToken": "tok"}}}
    scenarios = {
        "nothing enabled": ({}, 0),
        "broker, Secret from values": (broker_inline, 4),
        "connector, Secret from values": (connector_inline, 4),
        "connector with membership credential": (deep_merge(connector_inline, {"connector": {"secret": {"membershipCredential": "eyJ.x.y"}}}), 4),
        "both, existing Secrets, Ingress, TLS at the proxy, CA bundle, extra volumes": ({
            "broker": {"enabled": True, "secret": {"existingSecret": "broker-keys"}, "tls": {"secretName": ""},
                       "ingress": {"enabled": True, "className": "nginx", "tlsSecretName": "broker-ingress-tls"},
                       "config": defaults["broker"]["config"].replace('cert_file = "/etc/dataspace/tls/tls.crt"\nkey_file = "/etc/dataspace/tls/tls.key"', "behind_proxy = true")},
            "connector": {"enabled": True, "secret": {"existingSecret": "musterstadt-keys"}, "tls": {"secretName": ""},
                          "config": defaults["connector"]["config"].replace('cert_file = "/etc/dataspace/tls/tls.crt"\nkey_file = "/etc/dataspace/tls/tls.key"', "terminated_by_proxy = true"),
                          "trust": {"authorityKey": AUTHORITY_JWK, "caBundle": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"},
                          "ingress": {"enabled": True, "tlsSecretName": "musterstadt-ingress-tls"},
                          "extraVolumes": [{"name": "daten", "persistentVolumeClaim": {"claimName": "daten", "readOnly": True}}],
                          "extraVolumeMounts": [{"name": "daten", "mountPath": "/srv/daten", "readOnly": True}]},
            "imagePullSecrets": [{"name": "regcred"}], "fullnameOverride": "datenraum", "commonLabels": {"team": "it"}}, 8),
    }
    proxied = scenarios["both, existing Secrets, Ingress, TLS at the proxy, CA bundle, extra volumes"][0]
    if "behind_proxy = true" not in proxied["broker"]["config"] or "terminated_by_proxy = true" not in proxied["connector"]["config"]:
        fail("scenario set-up", "the configurations of the proxy scenario were not rewritten")
    for scenario, (overrides, expected) in scenarios.items():
        before = len(failures)
        values = deep_merge(defaults, overrides)
        try:
            manifests = render(chart, values)
        except helm.HelmError as e:
            fail(scenario, f"does not render: {e}")
            continue
        docs = check_manifests(scenario, values, manifests)
        if len(docs) != expected:
            fail(scenario, f"{len(docs)} objects rendered, expected {expected}: {[d['kind'] for d in docs]}")
        if len(failures) == before:
            print(f"ok  {scenario}: {len(docs)} objects ({', '.join(sorted(d['kind'] for d in docs)) or 'none'})")

    before = len(failures)
    expect_refusal(chart, "broker without keys", deep_merge(defaults, {"broker": {"enabled": True}}), "broker.secret.authorityKey")
    expect_refusal(chart, "connector without authority key", deep_merge(defaults, {"connector": {"enabled": True, "secret": {"existingSecret": "k"}}}), "connector.trust.authorityKey")
    expect_refusal(chart, "unknown value", deep_merge(defaults, {"broker": {"replicas": 3}}), "replicas")
    expect_refusal(chart, "privileged port", deep_merge(defaults, {"connector": {"ports": {"dsp": 443}}}), "dsp")
    if len(failures) == before:
        print("ok  refusals: missing keys, unknown values, ports below 1024")

    for line in failures:
        print("FAIL " + line, file=sys.stderr)
    print(f"chart check: {len(failures)} problem(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
