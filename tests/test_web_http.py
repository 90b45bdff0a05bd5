"""The workbench over HTTP (no browser): guards, errors in Chinese, the wizard on broken data.

Security: cross-site POSTs and forms without the page's CSRF token are refused; path
traversal names land inside the project; oversized uploads are refused before anything is
kept; a name carrying HTML in a 台账 is shown as text; with a token every page asks for it.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
with warnings.catch_warnings():
    # newer Starlette prefers the httpx2 fork and warns when it finds httpx
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from coverage.problems import InputError
from coverage.web import create_app, serve
from coverage.web.jobs import wait_for

FIXTURES = Path(__file__).resolve().parent / "fixtures"
OWN = {"origin": "http://testserver"}
XSS = '<img src=x onerror="window.__xss=1">'


class Client:
    """A TestClient that sends forms the way the workbench's own pages do."""

    def __init__(self, workspace: Path, **options: Any) -> None:
        self.http = TestClient(create_app(workspace, **options), raise_server_exceptions=False)
        self.http.get("/")
        self.csrf = self.http.cookies.get("coverage_csrf") or ""

    def post(self, url: str, data: dict[str, str] | None = None, **kw: Any) -> Any:
        headers = {**OWN, **kw.pop("headers", {})}
        return self.http.post(url, data={"csrf": self.csrf, **(data or {})}, headers=headers,
                              follow_redirects=False, **kw)

    def project(self, name: str) -> str:
        r = self.post("/projects", {"name": name})
        assert r.status_code == 303, r.text
        return str(r.headers["location"]).rsplit("/", 1)[0]

    def upload(self, base: str, name: str, content: bytes) -> Any:
        return self.post(f"{base}/upload", files={"files": (name, content)},
                         headers={"accept": "application/json"})


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    yield Client(tmp_path / "ws")


def test_pages_are_chinese_with_guards_in_the_headers(client: Client) -> None:
    r = client.http.get("/")
    assert r.status_code == 200 and "我的规划项目" in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "samesite=strict" in r.headers.get("set-cookie", "").lower() or client.csrf
    assert not re.search(r"https?://(?!testserver)", r.text), "nothing from elsewhere"


@pytest.mark.parametrize("headers", [
    {"origin": "http://evil.example"},
    {"origin": "null"},
    {"referer": "http://evil.example/page"},
    {},
])
def test_cross_site_posts_are_refused(client: Client, tmp_path: Path,
                                      headers: dict[str, str]) -> None:
    r = client.http.post("/projects", data={"name": "偷建", "csrf": client.csrf},
                         headers=headers, follow_redirects=False)
    assert r.status_code == 403
    assert "跨站请求被拒绝" in r.text
    assert not any((tmp_path / "ws").iterdir())


def test_a_form_without_the_pages_token_is_refused(client: Client, tmp_path: Path) -> None:
    r = client.http.post("/projects", data={"name": "x", "csrf": "forged"}, headers=OWN,
                         follow_redirects=False)
    assert r.status_code == 403 and "表单已过期或来自其他网站" in r.text
    assert not any((tmp_path / "ws").iterdir())


def test_traversal_names_land_inside_the_project(client: Client, tmp_path: Path) -> None:
    base = client.project("测试县")
    for name in ("../../../../escape.csv", "..\\..\\escape2.csv", "/etc/cron.d/x.csv"):
        r = client.upload(base, name, "代码,名称\n1,甲\n".encode())
        assert r.status_code == 200, r.text
    uploads = tmp_path / "ws" / "测试县" / "uploads"
    assert sorted(p.name for p in uploads.iterdir()) == ["escape.csv", "escape2.csv", "x.csv"]
    assert sorted(p.name for p in (tmp_path / "ws").rglob("escape*.csv")) == [
        "escape.csv", "escape2.csv"]
    r = client.http.get(f"{base}/runs/..%2F..%2Fproject.json/files/x")
    assert r.status_code == 404 and "Traceback" not in r.text


def test_oversized_upload_is_refused(tmp_path: Path) -> None:
    client = Client(tmp_path / "ws", max_upload_mb=0.05)
    base = client.project("p")
    r = client.upload(base, "大表.csv", b"a,b\n" + b"1,2\n" * 20_000)
    assert r.status_code == 413
    body = r.json()
    assert "文件超过大小上限" in body["problems"][0]["message"]
    assert list((tmp_path / "ws" / "p" / "uploads").iterdir()) == []
    r = client.upload(base, "小表.csv", b"a,b\n1,2\n")
    assert r.status_code == 200


def test_unsupported_type_is_refused_with_the_fix(client: Client) -> None:
    base = client.project("p")
    r = client.upload(base, "旧表.xls", b"\xd0\xcf\x11\xe0")
    assert r.status_code == 400
    assert "不支持的文件类型" in r.json()["problems"][0]["message"]
    assert ".xlsx" in r.json()["problems"][0]["fix"]


def test_html_in_a_ledger_is_shown_as_text(client: Client) -> None:
    base = client.project(f"县{XSS}")
    rows = ["村居代码,村居名称,经度,纬度,所属乡镇,常住人口",
            f"370999101201,\"{XSS.replace(chr(34), chr(34) * 2)}\",117.05,35.05,西山镇,1200",
            "370999101202,乙村,117.06,35.06,西山镇,800"]
    assert client.upload(base, "村居.csv", "\n".join(rows).encode()).status_code == 200
    for page in ("/", f"{base}/", f"{base}/upload", f"{base}/wizard"):
        text = client.http.get(page).text
        assert "<img src=x" not in text, page
    wizard = client.http.get(f"{base}/wizard").text
    assert "&lt;img src=x onerror=" in wizard


def test_unknown_pages_and_projects_are_chinese_404s(client: Client) -> None:
    for url in ("/nope", "/p/没有这个项目/", "/p/..%2F..%2Fetc/upload"):
        r = client.http.get(url)
        assert r.status_code == 404, url
        assert "Traceback" not in r.text and ("没有" in r.text or "不存在" in r.text)


def test_internal_errors_show_no_stack_trace(client: Client,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import coverage.web.workspace as ws_mod

    def boom(self: Any) -> list[Any]:
        raise RuntimeError("secret detail /home/planner/名单.xlsx")

    monkeypatch.setattr(ws_mod.Workspace, "projects", boom)
    r = client.http.get("/")
    assert r.status_code == 500
    assert "内部错误" in r.text and "RuntimeError" in r.text
    assert "Traceback" not in r.text and "secret detail" not in r.text


def test_with_a_token_every_page_asks_for_it(tmp_path: Path) -> None:
    http = TestClient(create_app(tmp_path / "ws", token="s3cret-token"),
                      raise_server_exceptions=False)
    r = http.get("/")
    assert r.status_code == 401 and "请输入访问令牌" in r.text
    assert http.get("/p/x/upload").status_code == 401
    csrf = http.cookies.get("coverage_csrf")
    r = http.post("/login", data={"token": "wrong", "csrf": csrf, "next": "/"}, headers=OWN,
                  follow_redirects=False)
    assert r.status_code == 401 and "令牌不正确" in r.text
    r = http.post("/projects", data={"name": "x", "csrf": csrf}, headers=OWN)
    assert r.status_code == 401 and not any((tmp_path / "ws").iterdir())
    r = http.post("/login", data={"token": "s3cret-token", "csrf": csrf, "next": "//evil"},
                  headers=OWN, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert http.get("/").status_code == 200
    other = TestClient(create_app(tmp_path / "ws", token="s3cret-token"))
    r = other.get("/?token=s3cret-token", follow_redirects=False)
    assert r.status_code == 303 and "token" not in r.headers["location"]
    assert other.get("/").status_code == 200


def test_another_address_needs_a_token() -> None:
    with pytest.raises(InputError) as exc:
        serve(host="0.0.0.0", port=8765)
    assert exc.value.problems[0].code == "token_required"
    with pytest.raises(InputError):
        serve(host="0.0.0.0", token="short")


def test_cli_has_serve() -> None:
    from coverage.cli import _parser

    args = _parser().parse_args(["serve", "--port", "9000", "--workspace", "w"])
    assert args.port == 9000 and args.host == "127.0.0.1" and callable(args.func)


def test_broken_upload_shows_every_problem_with_its_row(
        client: Client, caplog: pytest.LogCaptureFixture) -> None:
    """The broken fixture through the wizard: the problems table names file, row, column,
    the value as typed and the fix, as ``coverage validate`` does; a run refuses it too."""
    caplog.set_level("INFO", logger="coverage.web")
    base = client.project("错误示例")
    for f in sorted((FIXTURES / "broken").iterdir()):
        if f.suffix != ".toml":
            assert client.upload(base, f.name, f.read_bytes()).status_code == 200
    assert client.http.get(f"{base}/wizard").status_code == 200
    r = client.post(f"{base}/wizard", {"coord": "gps", "action": "save"})
    assert r.status_code == 303 and r.headers["location"].endswith("/validate")
    page = client.http.get(f"{base}/validate").text
    rows = re.findall(r'<tr id="problem-\d+" class="sev-(\w+)">(.*?)</tr>', page, re.S)
    cells = [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                   row, re.S)]
             for _, row in rows]
    found = {(c[1], c[3], c[6]) for c in cells}
    assert ("villages.csv", "7", "duplicate code on rows [2, 7]") in found
    assert ("villages.csv", "4", "empty coordinate") in found
    assert any(c[1] == "villages.csv" and c[3] == "3" and "swapped" in c[6] and c[5]
               for c in cells)
    assert re.search(r"发现 \d+ 个错误", page)
    assert "在地图上显示" in page  # the points with coordinates can be located
    # a run of the broken project stops at the validate stage with the same problems
    r = client.post(f"{base}/run", {})
    assert r.status_code == 303
    run_id = r.headers["location"].rsplit("/", 1)[1]
    project = client.http.app.state.settings.workspace.project("错误示例")  # type: ignore[attr-defined]
    assert wait_for(project, run_id, timeout=120)["state"] == "failed"
    page = client.http.get(r.headers["location"]).text
    assert "运行未完成" in page and "empty coordinate" in page
    # the server log records the run, never the values of the 台账
    logged = [r.getMessage() for r in caplog.records if r.name == "coverage.web"]
    assert any(run_id in m and "started" in m for m in logged)
    assert any(run_id in m and "input problems" in m for m in logged)
    assert not any("北河镇" in m or "370999101201" in m or "村" in m for m in logged)


def _form_fields(html: str) -> dict[str, str]:
    """The values a browser would send for the wizard form as shown (selected options)."""
    fields: dict[str, str] = {}
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        fields[name] = chosen.group(1) if chosen else ""
    for name, value in re.findall(r'<input type="(?:text|number|hidden)" name="([^"]+)" '
                                  r'value="([^"]*)"', html):
        fields[name] = value
    return fields


def test_wizard_changes_become_the_region_toml(client: Client) -> None:
    """A role left out, a per-file coordinate answer and the global answer, written as
    ``coverage init`` would write them."""
    import tomllib

    base = client.project("测试县")
    for f in sorted((FIXTURES / "tiny").iterdir()):
        if f.suffix != ".toml":
            assert client.upload(base, f.name, f.read_bytes()).status_code == 200
    page = client.http.get(f"{base}/wizard").text
    fields = _form_fields(page)
    index = {sid: i for i, sid in re.findall(r'id="src-(\d+)" data-id="([^"]+)"', page)}
    villages, schools = index["villages.csv"], index["schools_gcj02.csv"]
    role = next(k for k, v in fields.items()
                if k.startswith(f"role_{villages}_") and v == "population")
    fields.update({role: "", f"coord_{schools}": "amap", "coord": "gps", "action": "save",
                   "csrf": client.csrf})
    r = client.post(f"{base}/wizard", fields)
    assert r.status_code == 303 and r.headers["location"].endswith("/validate")
    project = client.http.app.state.settings.workspace.project("测试县")  # type: ignore[attr-defined]
    config = tomllib.loads(project.toml.read_text(encoding="utf-8"))
    assert "population" not in config["layers"]["village"]["columns"]
    assert config["layers"]["school"]["crs"] == "gcj02"
    assert config["layers"]["village"].get("crs", "EPSG:4326") in ("EPSG:4326", "wgs84")
    assert config["layers"]["village"]["file"] == "uploads/villages.csv"
    # the answers are kept: the wizard shows them again
    again = _form_fields(client.http.get(f"{base}/wizard").text)
    assert again[role] == "" and again[f"coord_{schools}"] == "amap"
    assert "数据检查通过" in client.http.get(f"{base}/validate").text


def test_coverage_serve_starts_and_answers(tmp_path: Path) -> None:
    """``coverage serve`` as the README starts it: a process answering on loopback."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "coverage.cli", "serve", "--port", str(port),
                             "--workspace", str(tmp_path / "ws")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as resp:
                    body = resp.read().decode()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.3)
        assert "我的规划项目" in body
        assert (tmp_path / "ws").is_dir()
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert f"http://127.0.0.1:{port}/" in out and "Traceback" not in out


def test_on_loopback_other_host_names_are_refused(tmp_path: Path) -> None:
    """DNS rebinding: a page of evil.example resolving to 127.0.0.1 gets nothing."""
    app = create_app(tmp_path / "ws", allowed_hosts=("127.0.0.1", "localhost", "[::1]"))
    http = TestClient(app, base_url="http://127.0.0.1:8765", raise_server_exceptions=False)
    assert http.get("/").status_code == 200
    assert http.get("/", headers={"host": "localhost:8765"}).status_code == 200
    r = http.get("/", headers={"host": "evil.example:8765"})
    assert r.status_code == 400 and "我的规划项目" not in r.text
    csrf = http.cookies.get("coverage_csrf")
    r = http.post("/projects", data={"name": "x", "csrf": csrf},
                  headers={"host": "evil.example:8765", "origin": "http://evil.example:8765"})
    assert r.status_code == 400 and not any((tmp_path / "ws").iterdir())
