"""The planning page at township level: every indicator with its status in Chinese, estimates labelled, amounts in
万元, no raw ids; the planning-unit templates download and read back."""

from __future__ import annotations

import io
import re
import time

from openpyxl import load_workbook

from allocator.data import districts_frame, projects_frame, read_table
from tests.web.test_pages import page_login

RAW = ("no_candidates", "trade_off", "not_applicable", "each_county", "aggregate", "community_care", "township")


def _finish(client, job_page: str, seconds: float = 900) -> str:
    """The result page once the job is done (a township plan takes longer than the page tests' minute)."""
    result = re.search(r'data-result-url="([^"]+)"', job_page).group(1)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        text = client.get(result).get_data(as_text=True)
        if 'id="job"' not in text:
            return text
        time.sleep(0.5)
    raise AssertionError("the job did not finish")


def test_the_township_plan_lists_every_indicator_in_chinese(web_app):
    client = web_app.test_client()
    token = page_login(client, "admin")
    job = client.post("/planning", data={"csrf_token": token, "sample": "on", "units": "township", "year": "2025",
                                         "budget": "5亿", "time_limit": "120"})
    result = _finish(client, job.get_data(as_text=True))
    table = result[result.index('<table id="indicators">'):result.index("</table>", result.index('<table id="indicators">'))]
    rows = re.findall(r"<tr class=\"(pass|fail|muted)\">(.*?)</tr>", table, re.S)
    from allocator.targets import SPECS

    names = {spec.title_zh for spec in SPECS.values()}
    shown = {re.sub(r"<[^>]+>", "", re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[0]).split("（")[0].split("\n")[0]
             for _, row in rows}
    assert names <= {s.strip() for s in shown} | {n for n in names if any(n in s for s in shown)}
    assert "街道具备综合功能的养老机构覆盖率" in table and "街道" in table and "现状含估算数" in table
    assert {"达标", "未达标"} <= set(re.findall(r"<td>(达标|未达标|不适用)</td>", table))
    for word in RAW:
        assert word not in result, word
    assert "投资（万元）" in result and "（估算）" in result
    assert 'id="adaptation"' in result


def test_planning_unit_templates_read_back(web_app, tmp_path):
    client = web_app.test_client()
    page_login(client, "admin")
    tables = {}
    for table in ("districts", "projects"):
        answer = client.get(f"/planning/template/{table}.xlsx")
        assert answer.status_code == 200
        book = load_workbook(io.BytesIO(answer.data))
        assert book.sheetnames[1] == "填写说明" and all(not re.search(r"[A-Za-z]", str(c.value or ""))
                                                       for c in book.active[1])
        path = tmp_path / f"{table}.xlsx"
        path.write_bytes(answer.data)
        tables[table] = read_table(path)
    districts = districts_frame(tables["districts"])
    assert districts.iloc[0]["township_kind"] == "street" and districts.iloc[0]["communities"] == 6
    projects, _ = projects_frame(tables["projects"], districts, first_year=2023, default_nursing_share=0.6)
    assert projects.iloc[0]["facility_type"] == "community_care"
    assert client.get("/planning/template/people.xlsx").status_code == 404
