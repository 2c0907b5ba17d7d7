"""The README's promises hold: its Python example runs and its make targets exist."""

import re


def test_readme_python_example_runs(root):
    text = (root / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks
    namespace: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    assert namespace["plan"].whole[0] == 1340
    assert len(namespace["grid"]) == 6


def test_readme_make_targets_exist(root):
    readme = (root / "README.md").read_text()
    makefile = (root / "Makefile").read_text()
    for target in set(re.findall(r"`make (\w+)", readme)) | set(
        re.findall(r"^make (\w+)", readme, re.M)
    ):
        assert re.search(rf"^{target}:", makefile, re.M), target


def test_readme_first_commands_are_plan_and_test(root):
    commands = re.findall(r"^make (\w+)", (root / "README.md").read_text(), re.M)
    assert commands[:2] == ["plan", "test"]
