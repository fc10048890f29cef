"""Experiment folders: naming, contents, slug validation, refusal to overwrite (API and CLI)."""
import datetime
import os
import re
import subprocess

import pytest

from rocks.exp import ExpError, new_experiment, validate_slug
from rocks.exp.experiment import REPORT_SECTIONS, RESULTS_BEGIN, RESULTS_END, Experiment, find_root

GOOD = ["abc", "scaling-law", "mup-transfer-2", "a1b", "x" * 60, "9x9-lr-sweep"]
BAD = ["ab", "x" * 61, "Scaling", "scaling_law", "-abc", "abc-", "a--b", "a b c", "ab/c", "", "abc\n", "é-abc",
       "../etc"]


@pytest.mark.parametrize("slug", GOOD)
def test_good_slugs(slug):
    assert validate_slug(slug) == slug


@pytest.mark.parametrize("slug", BAD)
def test_bad_slugs(slug, tmp_path):
    with pytest.raises(ExpError, match="bad experiment slug"):
        validate_slug(slug)
    with pytest.raises(ExpError):
        new_experiment(slug, str(tmp_path))
    assert os.listdir(str(tmp_path)) == []


def test_new_folder_layout(tmp_path):
    now = datetime.datetime(2026, 3, 7, 9, 5)
    f = new_experiment("scaling-law", str(tmp_path), now=now)
    name = "2026-03-07_09-05-scaling-law"
    assert f == os.path.join(str(tmp_path), name)
    assert sorted(os.listdir(f)) == sorted([".gitignore", name + ".py", "data", "figures", "report.md"])
    assert os.listdir(os.path.join(f, "data")) == [] and os.listdir(os.path.join(f, "figures")) == []
    script = os.path.join(f, name + ".py")
    assert os.access(script, os.X_OK)
    compile(open(script).read(), script, "exec")  # the template is valid Python
    report = open(os.path.join(f, "report.md")).read()
    heads = re.findall(r"^## (\w+)", report, re.M)
    assert heads == list(REPORT_SECTIONS)
    assert [h.lower() for h in heads] == ["question", "setup", "results", "figures", "conclusions", "unknowns", "next"]
    assert RESULTS_BEGIN in report and RESULTS_END in report
    assert "data/runs/" in open(os.path.join(f, ".gitignore")).read()
    # same minute, same slug: refused, and the existing folder is untouched
    open(os.path.join(f, "report.md"), "a").write("my notes\n")
    with pytest.raises(ExpError, match="refusing to overwrite"):
        new_experiment("scaling-law", str(tmp_path), now=now)
    assert open(os.path.join(f, "report.md")).read().endswith("my notes\n")
    # another minute is another folder
    g = new_experiment("scaling-law", str(tmp_path), now=now + datetime.timedelta(minutes=1))
    assert os.path.basename(g) == "2026-03-07_09-06-scaling-law"


def test_find_root(tmp_path):
    repo = tmp_path / "repo"
    (repo / "experiments").mkdir(parents=True)
    (repo / "experiments" / "README.md").write_text("x")
    (repo / "src" / "deep").mkdir(parents=True)
    assert find_root(str(repo / "src" / "deep")) == str(repo / "experiments")
    other = tmp_path / "elsewhere"
    other.mkdir()
    assert find_root(str(other)) == str(other / "experiments")


def test_update_report_keeps_hand_written_text(tmp_path):
    f = new_experiment("report-check", str(tmp_path))
    path = os.path.join(f, "report.md")
    text = open(path).read().replace("## Conclusions\n", "## Conclusions\n\nHand-written conclusion.\n")
    open(path, "w").write(text)
    exp = Experiment(f, progress=False)
    exp.update_report("| a |\n|---|\n| 1 |\n")
    exp.update_report("| a |\n|---|\n| 2 |\n")
    out = open(path).read()
    assert out.count(RESULTS_BEGIN) == 1 and "| 2 |" in out and "| 1 |" not in out
    assert "Hand-written conclusion." in out


def test_cli_experiment_new(tmp_path, rocks_bin, env):
    p = subprocess.run([rocks_bin, "experiment", "new", "cli-check", "--root", str(tmp_path)], capture_output=True,
                       text=True, env=env)
    assert p.returncode == 0, p.stderr
    folder = p.stdout.strip()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d_\d\d-\d\d-cli-check", os.path.basename(folder))
    assert os.path.isfile(os.path.join(folder, os.path.basename(folder) + ".py"))
    p = subprocess.run([rocks_bin, "experiment", "new", "Bad_Slug", "--root", str(tmp_path)], capture_output=True,
                       text=True, env=env)
    assert p.returncode == 1 and "bad experiment slug" in p.stderr
    p = subprocess.run([rocks_bin, "experiment", "bogus"], capture_output=True, text=True, env=env)
    assert p.returncode == 2 and "unknown subcommand" in p.stderr
    p = subprocess.run([rocks_bin, "experiment", "new"], capture_output=True, text=True, env=env)
    assert p.returncode == 2 and "SLUG" in p.stderr
    assert len(os.listdir(str(tmp_path))) == 1
