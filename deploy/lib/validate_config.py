"""Checks of the deployment files that no schema expresses, run by
deploy/validate.sh in its tool environment (PyYAML and crossplane).

    python3 validate_config.py nginx TEMPLATE CONF
        CONF parses as nginx configuration (crossplane, strict: unknown
        directives and wrong argument counts fail) and routes every location
        of TEMPLATE, the local gateway, to the same place.
    python3 validate_config.py ingress TEMPLATE INGRESS
        the Ingress routes every location that TEMPLATE proxies to the
        matching Service (upstream auth_server -> Service auth-server), with
        Exact for `location =` and Prefix otherwise.
    python3 validate_config.py kustomization DIR
        DIR/kustomization.yaml lists files that exist, lists every manifest
        in DIR, and names only images the manifests use.
    python3 validate_config.py compose FILE
        only the gateway publishes host ports, so every server can be scaled
        with --scale.

Each prints what it found wrong and exits 1, or prints nothing.
"""

import pathlib
import sys

import yaml


def nginx_routes(path, errors):
    """Map each `location` of every server block to its proxy_pass or return."""
    import crossplane

    payload = crossplane.parse(str(path), strict=True, single=True, catch_errors=True)
    for error in payload["errors"]:
        errors.append(f"{path}: {error['error']}")
    routes = {}

    def walk(block):
        for directive in block:
            if directive["directive"] == "location":
                target = [
                    " ".join([d["directive"], *d["args"]])
                    for d in directive.get("block", [])
                    if d["directive"] in ("proxy_pass", "return")
                ]
                routes[" ".join(directive["args"])] = target
            walk(directive.get("block", []))

    for config in payload["config"]:
        walk(config["parsed"])
    return routes


def check_nginx(template, conf):
    errors = []
    expected = nginx_routes(pathlib.Path(template), errors)
    actual = nginx_routes(pathlib.Path(conf), errors)
    for location, target in expected.items():
        if actual.get(location) != target:
            errors.append(
                f"{conf}: location {location} should be {target} as in {template}, "
                f"is {actual.get(location)}"
            )
    return errors


def check_ingress(template, ingress):
    errors = []
    wanted = {}
    for location, target in nginx_routes(pathlib.Path(template), errors).items():
        if not target or not target[0].startswith("proxy_pass http://"):
            continue
        upstream = target[0].removeprefix("proxy_pass http://")
        exact = location.startswith("= ")
        path = location.removeprefix("= ")
        wanted[(path, "Exact" if exact else "Prefix")] = upstream.replace("_", "-")

    routed = {}
    for doc in yaml.safe_load_all(pathlib.Path(ingress).read_text()):
        if not doc or doc.get("kind") != "Ingress":
            continue
        for rule in doc["spec"].get("rules", []):
            for item in rule.get("http", {}).get("paths", []):
                service = item["backend"]["service"]["name"]
                routed[(item["path"], item["pathType"])] = service

    for (path, kind), service in sorted(wanted.items()):
        if routed.get((path, kind)) != service:
            errors.append(
                f"{ingress}: {kind} {path} should go to Service {service}, as in {template}; "
                f"goes to {routed.get((path, kind))}"
            )
    for key in sorted(routed.keys() - wanted.keys()):
        errors.append(f"{ingress}: {key[1]} {key[0]} is routed, but not by {template}")
    return errors


def check_kustomization(directory):
    directory = pathlib.Path(directory)
    errors = []
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    listed = set(kustomization.get("resources", []))
    for name in sorted(listed):
        if not (directory / name).is_file():
            errors.append(f"kustomization.yaml lists {name}, which does not exist")
    manifests = {p.name for p in directory.glob("*.yaml") if p.name != "kustomization.yaml"}
    for name in sorted(manifests - listed):
        errors.append(f"{name} is not listed in kustomization.yaml, so it is never applied")

    used = set()
    for name in sorted(manifests & listed):
        for doc in yaml.safe_load_all((directory / name).read_text()):
            used.update(images_of(doc))
    for image in kustomization.get("images", []):
        if image["name"] not in used:
            errors.append(f"kustomization.yaml sets image {image['name']}, which no manifest uses")
    return errors


def images_of(node):
    """Repository names (without tag) of every `image:` under node."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "image" and isinstance(value, str):
                yield repository(value)
            else:
                yield from images_of(value)
    elif isinstance(node, list):
        for item in node:
            yield from images_of(item)


def repository(image):
    """`host:5000/name:tag` -> `host:5000/name`: a tag is a colon after the last slash."""
    name, _, tag = image.rpartition(":")
    return name if name and "/" not in tag else image


def check_compose(path):
    compose = yaml.safe_load(pathlib.Path(path).read_text())
    return [
        f"{path}: service {name} publishes host ports; only the gateway may, or "
        "--scale would give two replicas the same port"
        for name, service in compose.get("services", {}).items()
        if service.get("ports") and name != "gateway"
    ]


def main(argv):
    checks = {
        "nginx": check_nginx,
        "ingress": check_ingress,
        "kustomization": check_kustomization,
        "compose": check_compose,
    }
    if len(argv) < 2 or argv[1] not in checks:
        sys.exit(__doc__)
    errors = checks[argv[1]](*argv[2:])
    for error in errors:
        print(error)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
