"""The command line: `main(argv)` in this process, its output and exit status, and one run as
a user runs it (the installed `funnelkit` script in a process of its own)."""

import contextlib
import io
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import example_with_goals

from funnelkit import build_plan, cli, load_params
from funnelkit.cli import main


@dataclass(frozen=True)
class Result:
    """What a command printed and its exit status."""

    returncode: int
    stdout: str
    stderr: str


def run(*args: str, cwd: Path) -> Result:
    """`funnelkit ARGS` run in this process from `cwd`."""
    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exit_:  # argparse's usage errors
                code = int(exit_.code or 0)
    finally:
        os.chdir(here)
    return Result(code, out.getvalue(), err.getvalue())


def test_plan_prints_the_example_plan_figures(root):
    result = run("plan", "params/example.yaml", cwd=root)
    assert result.returncode == 0, result.stderr
    plan = build_plan(load_params(root / "params" / "example.yaml"))
    out = result.stdout
    assert plan.params.title in out
    assert f"{int(plan.targets.whole[0]):,}" in out  # leads needed
    assert f"{plan.targets.volumes[0]:,.2f}" in out
    assert f"${plan.targets.marketing_revenue_goal:,.0f}" in out
    for label in plan.phasing.labels:
        assert label in out
    assert result.stderr == ""


def test_a_typo_exits_2_with_one_clear_message_and_no_plan(root, tmp_path):
    bad = tmp_path / "typo.yaml"
    bad.write_text(
        (root / "params" / "example.yaml")
        .read_text()
        .replace("marketing_share:", "marketing_shar:")
    )
    result = run("plan", "params/example.yaml", str(bad), cwd=root)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"funnelkit: error: {bad}: 'marketing_shar' is not a known key (did you mean 'marketing_share'?)\n"
    )


def test_a_missing_file_exits_2(root):
    result = run("plan", "params/nope.yaml", cwd=root)
    assert result.returncode == 2
    assert result.stderr == "funnelkit: error: params/nope.yaml: no such parameters file\n"


def test_no_command_is_a_usage_error(root):
    result = run(cwd=root)
    assert result.returncode == 2
    assert "usage: funnelkit" in result.stderr


SCRIPT = Path(sys.executable).parent / "funnelkit"


@pytest.mark.skipif(
    not SCRIPT.exists(), reason="the funnelkit script is not installed beside this Python"
)
def test_the_installed_script_runs(root):
    result = subprocess.run(
        [str(SCRIPT), "plan", "params/example.yaml"], capture_output=True, text=True, cwd=root
    )
    assert result.returncode == 0, result.stderr
    assert "Targets by stage" in result.stdout


def test_actuals_prints_the_quality_report_funnel_and_baselines(root):
    result = run("actuals", "data/sample/hubspot-contacts.csv", cwd=root)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("data/sample/hubspot-contacts.csv: 4,001 rows read\n")
    assert "negative amount in 'Recent Deal Amount': 2 rows" in out
    assert "Leads reaching each stage" in out
    assert "lead close rate:" in out


def test_actuals_of_a_plan_reads_what_its_actuals_name_an_export_or_a_table(root, tmp_path):
    import duckdb

    export = root / "data" / "sample" / "hubspot-contacts.csv"
    on_file = run("actuals", "data/sample/hubspot-contacts.csv", cwd=root)
    of_plan = run("actuals", "params/example.yaml", cwd=root)
    assert of_plan.returncode == 0, of_plan.stderr
    assert of_plan.stdout.split("\n", 1)[1] == on_file.stdout.split("\n", 1)[1]
    assert of_plan.stdout.startswith(
        "params/../data/sample/hubspot-contacts.csv: 4,001 rows read\n"
    )
    with duckdb.connect(str(tmp_path / "crm.duckdb")) as con:
        con.execute(
            f"CREATE TABLE contacts AS SELECT * FROM read_csv('{export}', all_varchar = true)"
        )
    raw = yaml.safe_load((root / "params" / "example.yaml").read_text())
    raw["actuals"] = {"engine": "duckdb", "database": "crm.duckdb", "table": "contacts"}
    for key in ("goals", "previous_plan", "definitions", "next_plan"):
        raw.pop(key, None)
    raw.pop("program", None)
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(raw))
    of_table = run("actuals", str(tmp_path / "plan.yaml"), cwd=root)
    assert of_table.returncode == 0, of_table.stderr
    assert of_table.stdout.startswith("table 'contacts' in crm.duckdb: 4,001 rows read\n")
    assert "repeated id in 'Record ID': 1 row (first: 2068)" in of_table.stdout
    assert "Leads reaching each stage" in of_table.stdout
    mapped = run("actuals", "params/example.yaml", "--mapping", "hubspot", cwd=root)
    assert mapped.returncode == 2
    assert mapped.stderr == (
        "funnelkit: error: '--mapping' goes with an export file: params/example.yaml names its "
        "own mapping\n"
    )
    raw["actuals"]["table"] = "contact"
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(raw))
    missing = run("actuals", str(tmp_path / "plan.yaml"), cwd=root)
    assert missing.returncode == 2
    assert missing.stderr.startswith(
        f"funnelkit: error: {tmp_path / 'plan.yaml'}: actuals: table 'contact' in crm.duckdb: no "
        "such table or view (did you mean 'contacts'?)"
    )


def test_actuals_with_the_wrong_mapping_exits_2_naming_the_closest_column(root, tmp_path):
    export = tmp_path / "leads.csv"
    export.write_text('"Prospect ID","Lead Source"\n"a","Google"\n')
    result = run("actuals", str(export), cwd=root)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"funnelkit: error: {export}: required column for 'lead_id' is missing: looked for "
        "'Record ID', 'Contact ID', 'hs_object_id', 'vid'; found 'Prospect ID', 'Lead Source'; closest: 'Prospect ID'\n"
    )


def test_actuals_with_an_unknown_preset_exits_2(root):
    result = run("actuals", "data/sample/hubspot-contacts.csv", "--mapping", "pipedrive", cwd=root)
    assert result.returncode == 2
    assert (
        result.stderr
        == "funnelkit: error: 'preset' must be one of hubspot, salesforce-leads, salesforce-opportunities (got 'pipedrive')\n"
    )


def test_goals_prints_the_scorecard_and_alignment(root, tmp_path):
    result = run("goals", "params/example.yaml", "--as-of", "2026-11-22", cwd=root)
    assert result.returncode == 0, result.stderr
    # the forecast's MQLs in Q1 2027 reach the goal's 240 in most simulated periods
    assert "marketing-mqls (marketing): 8 pass, 1 warn, 0 fail" in result.stdout
    assert "They add up, with" in result.stdout
    # 300 MQLs are reached in fewer than half of them: attainable and realistic warn, with the
    # forecast's chance (and +27 % on the last quarter is ambitious enough)
    goals = (root / "params" / "goals" / "example.yaml").read_text()
    assert goals.count("target: 240\n") == 1
    params = example_with_goals(tmp_path, goals.replace("target: 240\n", "target: 300\n"))
    result = run("goals", str(params), "--as-of", "2026-11-22", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "marketing-mqls (marketing): 7 pass, 2 warn, 0 fail" in result.stdout
    chance = re.search(
        r"300 mql cover the 238 the plan needs\. The forecast gives it a (\d+)% chance",
        result.stdout,
    )
    assert chance is not None
    assert int(chance.group(1)) < 50


def test_goals_name_every_warning_and_are_checked_as_of_the_export_s_day_like_the_report(root):
    result = run("goals", "params/example.yaml", cwd=root)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Goals of Example plan: Q1 2027, all regions, checked on 2026-10-31\n")
    # the forecast gives the revenue goal even odds or better, so only ambitious warns
    assert "shared-revenue (shared): 8 pass, 1 warn, 0 fail\n" in out
    assert (
        "  ! FAST ambitious: +5.0% is business as usual: 75% of past quarters did as well.\n" in out
    )
    assert "marketing-mqls: goal 240 MQLs ≥ the plan's need of 238 MQLs.\n" in out
    assert "The goals file's shared goal" not in out  # the plan's goal is the goals file's


def test_a_plan_whose_revenue_goal_is_not_its_shared_goal_names_both(root):
    raw = (root / "params" / "example.yaml").read_text()
    assert "revenue_goal: 341450 " in raw
    params = root / "params" / "other-goal-test.yaml"
    params.write_text(raw.replace("revenue_goal: 341450 ", "revenue_goal: 341500 "))
    try:
        result = run("goals", str(params), cwd=root)
    finally:
        params.unlink()
    assert result.returncode == 0, result.stderr
    assert (
        "The goals file's shared goal shared-revenue asks for $341,450; the plan's revenue goal "
        "is $341,500 ($50 less). The alignment checks the team goals against the goals file's "
        "figure.\n"
    ) in result.stdout


def test_goals_that_do_not_add_up_name_the_gap_the_move_and_the_orphans(root, tmp_path):
    raw = (root / "params" / "example.yaml").read_text()
    params = root / "params" / "poor-goals-test.yaml"
    params.write_text(raw.replace("goals: goals/example.yaml", "goals: goals/poorly-formed.yaml"))
    try:
        result = run("goals", str(params), "--as-of", "2026-11-22", cwd=root)
    finally:
        params.unlink()
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert (
        "  ✗ SMART realistic: 120 mql fall short of the 238 the plan needs for the shared goal."
        in out
    )
    assert "Short by" in out
    assert "  - too-few-mqls (volume:mql) from 120 to " in out
    assert "Team goals serving no shared goal: be-better, orphan" in out


def test_goals_without_goals_in_the_parameters_exits_2(root, tmp_path):
    raw = (root / "params" / "example.yaml").read_text().split("\n# The plan's goals")[0]
    params = tmp_path / "nogoals.yaml"
    params.write_text(raw)
    result = run("goals", str(params), cwd=root)
    assert result.returncode == 2
    assert (
        result.stderr
        == f"funnelkit: error: {params}: 'goals' and 'actuals' must be given to check goals against history\n"
    )
    bad = run("goals", "params/example.yaml", "--as-of", "22/11/2026", cwd=root)
    assert bad.returncode == 2
    assert "must be a date written YYYY-MM-DD (got '22/11/2026')" in bad.stderr


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--goal", "500k"], "'--goal' must be a number of money (got '500k')"),
        (
            ["--goal", "1", "--deals-key", "deal_id"],
            "'--deals-key' and '--deals-stage' need '--deals' (the deals export)",
        ),
        (
            ["--goal", "1", "--deals", "opps.csv"],
            "'--deals-key' must name the lead attribute holding each lead's deal id",
        ),
        (
            ["--goal", "1", "--deals", "opps.csv", "--deals-key", "k", "--deals-stage", "won"],
            "'--deals-stage' must be written DEAL_STAGE=LEAD_STAGE, e.g. won=won (got 'won')",
        ),
    ],
)
def test_init_names_a_bad_option_and_writes_nothing(root, tmp_path, options, message):
    out = tmp_path / "params"
    args = ["init", "data/sample/hubspot-contacts.csv", "--name", "x", "--period", "2027-Q1"]
    result = run(*args, "--out", str(out), *options, cwd=root)
    assert (result.returncode, result.stderr) == (2, f"funnelkit: error: {message}\n")
    assert not out.exists()


def test_init_writes_a_plan_and_says_how_to_render_it(root, tmp_path):
    out = tmp_path / "params"
    args = ["init", "data/sample/hubspot-contacts.csv", "--name", "mine", "--period", "2027-Q1"]
    result = run(*args, "--growth", "10%", "--out", str(out), cwd=root)
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(
        f"Render it with: .venv/bin/funnelkit render {out / 'mine.yaml'}\n"
    )
    assert (out / "mine.yaml").is_file()


def test_version_and_a_complete_help(root):
    version = run("--version", cwd=root)
    assert version.returncode == 0
    assert re.fullmatch(r"funnelkit \d+\.\d+\.\d+\n", version.stdout)
    help_text = run("--help", cwd=root).stdout
    assert help_text.rstrip().endswith("`funnelkit COMMAND --help` describes each command.")
    assert "Exit status: 0 on success, 2 when an input breaks a rule" in " ".join(help_text.split())
    assert "--verbose" in run("render", "--help", cwd=root).stdout


def test_a_reader_that_stops_early_ends_the_command_quietly(root, monkeypatch, tmp_path):
    """`funnelkit plan … | head`: the closed pipe is not an error and prints no traceback."""

    def closed(args):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(cli, "_plan", closed)
    with open(tmp_path / "out", "w") as out:
        monkeypatch.setattr(sys, "stdout", out)
        assert main(["plan", str(root / "params" / "example.yaml")]) == 0


def test_a_month_that_does_not_exist_is_refused(root):
    result = run("render", "params/example.yaml", "--month", "2026-13", cwd=root)
    assert result.returncode == 2
    assert result.stderr == (
        "funnelkit: error: '--month' must be a month written YYYY-MM (got '2026-13')\n"
    )


def test_backtest_prints_the_scores_and_writes_each_forecast(root, tmp_path):
    out = tmp_path / "forecasts.csv"
    result = run("backtest", "params/2026-q4.yaml", "--trials", "400", "--csv", str(out), cwd=root)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith("Backtest of Q4 2026 plan, all regions on hubspot-contacts.csv\n")
    assert "26 weekly forecasts made on Mondays 06 Apr 2026 to 28 Sep 2026" in text
    assert "400 simulated periods each" in text
    for heading in ("Revenue, each period", "Customers, calibration"):
        assert heading in text
    assert "01 Jul 2026 – 30 Sep 2026" in text
    rows = out.read_text().splitlines()
    assert len(rows) == 1 + 2 * 26  # a header, then each forecast of revenue and of customers
    assert rows[0].startswith("measure,as_of,start,end,expected,")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--weeks", "3"], "'--weeks' must be at least 8 (got 3)"),
        (["--trials", "0"], "'--trials' must be from 1 to 1,000,000 (got 0)"),
    ],
)
def test_backtest_refuses_options_that_make_no_sense(root, options, message):
    result = run("backtest", "params/2026-q4.yaml", *options, cwd=root)
    assert result.returncode == 2
    assert result.stderr.strip() == f"funnelkit: error: {message}"
    assert result.stdout == ""


def test_backtest_without_an_export_exits_2(root, tmp_path):
    raw = yaml.safe_load((root / "params" / "example.yaml").read_text())
    for key in ("actuals", "goals", "definitions", "previous_plan", "next_plan", "program"):
        raw.pop(key, None)
    plain = tmp_path / "plain.yaml"
    plain.write_text(yaml.safe_dump(raw))
    result = run("backtest", str(plain), cwd=root)
    assert result.returncode == 2
    assert "'actuals' must name a CRM export to backtest on" in result.stderr


def test_explore_checks_the_plan_and_port_before_serving(root):
    missing = run("explore", "params/nope.yaml", cwd=root)
    assert (missing.returncode, missing.stdout) == (2, "")
    assert missing.stderr == "funnelkit: error: params/nope.yaml: no such parameters file\n"
    port = run("explore", "params/example.yaml", "--port", "80", cwd=root)
    assert port.returncode == 2
    assert port.stderr == "funnelkit: error: '--port' must be from 1024 to 65535 (got 80)\n"


def test_the_explore_page_holds_both_explorers_and_no_figures(root):
    from funnelkit.model.loader import load_plan_data
    from funnelkit.present.app import app_notebook

    data = load_plan_data(root / "params" / "example.yaml")
    cells = app_notebook(data, root / "params" / "example.yaml").cells
    code = [c.source for c in cells if c.cell_type == "code"]
    assert [c.splitlines()[-1].split("(")[0] for c in code] == [
        "ScenarioExplorer.from_params_file",
        "DefinitionExplorer.from_params_file",
    ]
    assert str((root / "params" / "example.yaml").resolve()) in code[0]
    plain = load_plan_data(root / "params" / "2026-q4.yaml")  # no definitions: one explorer
    assert (
        len(
            [
                c
                for c in app_notebook(plain, root / "params" / "2026-q4.yaml").cells
                if c.cell_type == "code"
            ]
        )
        == 1
    )
