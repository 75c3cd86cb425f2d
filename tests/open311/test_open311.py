"""Open311 GeoReport v2 conformance: a real client against a running minsheng server.

Usage: python test_open311.py BASE_URL API_KEY
  BASE_URL  e.g. http://127.0.0.1:8099/open311/v2
  API_KEY   an Open311 key (minsheng hotline open311-key --client NAME)

Exits non-zero at the first failed check, naming it.
"""

import json
import pathlib
import sys
import xml.etree.ElementTree as ET

import requests
from georeport import GeoReport
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

SCHEMAS = pathlib.Path(__file__).parent / "schemas"
REGISTRY = Registry().with_resources(
    (p.name, Resource.from_contents(json.loads(p.read_text(encoding="utf-8"))))
    for p in SCHEMAS.glob("*.json")
)
CHECKED = []


def validate(name, document):
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema, registry=REGISTRY, format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    if errors:
        raise AssertionError(f"{name}: {errors[0].message} at {list(errors[0].path)}")
    CHECKED.append(name)


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def xml_root(response):
    check(response.headers["content-type"].startswith("text/xml"), "XML content type")
    check(response.text.startswith('<?xml version="1.0" encoding="utf-8"?>'), "XML declaration")
    return ET.fromstring(response.content)


def error(response, status):
    check(response.status_code == status, f"HTTP {status} expected, got {response.status_code}: {response.text}")
    validate("errors.json", response.json())
    return response.json()[0]["description"]


def main(base, key):
    client = GeoReport(base)
    client_xml = GeoReport(base, output_format="xml")

    # Discovery.
    discovery = requests.get(f"{base}/discovery.json", timeout=10).json()
    validate("discovery.json", discovery)
    root = xml_root(requests.get(f"{base}/discovery.xml", timeout=10))
    check(root.tag == "discovery" and root.find("endpoints/endpoint/formats/format") is not None, "discovery XML")

    # Services: the subcategories, with their categories as groups.
    services = client.get_service_list()
    validate("services.json", services)
    check(len(services) >= 40, f"{len(services)} services")
    codes = {s["service_code"] for s in services}
    check("street_vending" in codes and "unpaid_wages" in codes, "known services")
    xml_services = client_xml.get_service_list()
    check(len(xml_services) == len(services), "the same services in XML")
    check([s["service_code"] for s in xml_services] == [s["service_code"] for s in services], "XML order")

    # A service definition with a single- and a multi-value list.
    definition = client.get_service_definition("street_vending")
    validate("service-definition.json", definition)
    kinds = {a["code"]: a["datatype"] for a in definition["attributes"]}
    check(kinds == {"request_type": "singlevaluelist", "affected": "multivaluelist"}, f"attributes {kinds}")
    xml_def = client_xml.get_service_definition("street_vending")
    check(xml_def["service_code"] == "street_vending", "definition XML")
    check(error(requests.get(f"{base}/services/nope.json", timeout=10), 404).startswith("service_code"), "404 text")

    # POST a request, form-encoded, with attribute[code] and attribute[code][].
    form = [
        ("api_key", key),
        ("service_code", "street_vending"),
        ("address_string", "渝中区解放碑步行街"),
        ("lat", "29.5575"),
        ("long", "106.5770"),
        ("first_name", "三"),
        ("last_name", "张"),
        ("phone", "13912345678"),
        ("email", "zhang@example.cn"),
        ("description", "步行街有流动摊贩占道经营，晚上堵住消防通道\n已经一个多月"),
        ("attribute[request_type]", "complaint"),
        ("attribute[affected][]", "elderly"),
        ("attribute[affected][]", "child"),
    ]
    created = requests.post(f"{base}/requests.json", data=form, timeout=10)
    check(created.status_code == 200, f"POST requests: {created.status_code} {created.text}")
    validate("post-request-response.json", created.json())
    request_id = created.json()[0]["service_request_id"]
    token = created.json()[0]["token"]
    created_xml = requests.post(f"{base}/requests.xml", data=form, timeout=10)
    check(xml_root(created_xml).find("request/service_request_id") is not None, "POST XML")

    # Tokens.
    tokens = requests.get(f"{base}/tokens/{token}.json", timeout=10).json()
    validate("tokens.json", tokens)
    check(tokens[0]["service_request_id"] == request_id, "token → id")
    error(requests.get(f"{base}/tokens/no-such-token.json", timeout=10), 404)

    # GET one request and the list: no contact anywhere.
    one = client.get_service_request(request_id)
    validate("requests.json", [one])
    check(one["service_code"] == "street_vending" and one["status"] == "open", f"request {one}")
    check(one["agency_responsible"] == "渝中区城市管理局", f"routed to {one['agency_responsible']}")
    listed = client.get_service_requests(service_code="street_vending", status="open")
    validate("requests.json", listed)
    check(any(r["service_request_id"] == request_id for r in listed), "listed")
    by_id = client.get_service_requests(service_request_id=f"{request_id},999999999")
    check([r["service_request_id"] for r in by_id] == [request_id], "service_request_id overrides")
    raw = requests.get(f"{base}/requests.json", timeout=10).text
    for private in ("13912345678", "zhang@example.cn", "张三"):
        check(private not in raw, f"{private} leaked into GET requests")
    xml_one = client_xml.get_service_request(request_id)
    check(xml_one["service_request_id"] == request_id and xml_one["status"] == "open", "request XML")
    closed = client.get_service_requests(status="closed")
    validate("requests.json", closed)
    check(all(r["status"] == "closed" for r in closed), "status filter")
    check(len(client.get_service_requests()) <= 1000, "at most 1000 rows")

    # Bad input: the spec's error format and codes.
    bad_key = [(k, "wrong" if k == "api_key" else v) for k, v in form]
    check("api_key" in error(requests.post(f"{base}/requests.json", data=bad_key, timeout=10), 403), "403 names the key")
    no_key = [(k, v) for k, v in form if k != "api_key"]
    error(requests.post(f"{base}/requests.json", data=no_key, timeout=10), 403)
    xml_error = requests.post(f"{base}/requests.xml", data=bad_key, timeout=10)
    check(xml_error.status_code == 403 and xml_root(xml_error).find("error/code").text == "403", "XML error")
    unknown = [(k, "nope" if k == "service_code" else v) for k, v in form]
    error(requests.post(f"{base}/requests.json", data=unknown, timeout=10), 404)
    nowhere = [(k, v) for k, v in form if k not in ("address_string", "lat", "long")]
    check("location" in error(requests.post(f"{base}/requests.json", data=nowhere, timeout=10), 400), "location")
    too_long = [(k, "很" * 4001 if k == "description" else v) for k, v in form]
    check("4000" in error(requests.post(f"{base}/requests.json", data=too_long, timeout=10), 400), "4000")
    bad_value = form + [("attribute[request_type]", "x")]
    error(requests.post(f"{base}/requests.json", data=bad_value, timeout=10), 400)
    bad_attr = form + [("attribute[colour]", "red")]
    error(requests.post(f"{base}/requests.json", data=bad_attr, timeout=10), 400)
    check("90 days" in error(requests.get(f"{base}/requests.json", params={
        "start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-06-01T00:00:00+08:00"}, timeout=10), 400), "90 days")
    error(requests.get(f"{base}/requests.json", params={"start_date": "2026-01-01"}, timeout=10), 400)
    error(requests.get(f"{base}/requests/999999999.json", timeout=10), 404)
    # HTML is cleaned out of a description, not stored.
    html = [(k, "路灯<b>不亮</b><script>alert(1)</script>" if k == "description" else v) for k, v in form]
    cleaned = requests.post(f"{base}/requests.json", data=html, timeout=10).json()[0]["service_request_id"]
    text = client.get_service_request(cleaned)["description"]
    check("<" not in text and "不亮" in text, f"cleaned: {text}")

    # servicerequestupdates: GET the public steps, POST a citizen's update.
    updates = requests.get(f"{base}/servicerequestupdates.json", timeout=10).json()
    validate("request-updates.json", updates)
    check(any(u["service_request_id"] == request_id for u in updates), "the new request's steps")
    root = xml_root(requests.get(f"{base}/servicerequestupdates.xml", timeout=10))
    check(root.tag == "service_request_updates", "updates XML")
    posted = requests.post(f"{base}/servicerequestupdates.json", data={
        "api_key": key, "service_request_id": request_id, "update_id": "fms-1", "status": "OPEN",
        "updated_datetime": "2026-11-29T10:00:00+08:00", "description": "摊贩又回来了"}, timeout=10)
    check(posted.status_code == 200, f"POST update: {posted.text}")
    validate("post-update-response.json", posted.json())
    error(requests.post(f"{base}/servicerequestupdates.json", data={
        "api_key": key, "service_request_id": request_id, "update_id": "x", "status": "open",
        "updated_datetime": "2026-11-29T10:00:00+08:00", "description": "x"}, timeout=10), 400)

    print(f"open311: ok — {len(CHECKED)} JSON documents valid against {len(set(CHECKED))} schemas")


if __name__ == "__main__":
    try:
        main(sys.argv[1].rstrip("/"), sys.argv[2])
    except AssertionError as failure:
        print(f"open311: FAILED — {failure}", file=sys.stderr)
        sys.exit(1)
