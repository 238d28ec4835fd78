"""The test commands the README gives select what their comments say, as written.

Each `./run tests ARGS` line of the README's Tests section is `pytest ARGS` in the locked
environment; here pytest only collects with those arguments (running them would run the suite
inside itself).
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

import pytest

from destinations.settings import PROJECT_ROOT

# Collects with each command's arguments in one process: the suite's imports (Dagster, SQLMesh,
# the SDKs) are paid once, not once per command.
COLLECT = """
import json, sys
import pytest

class Selected:
    ids: list[str] = []
    def pytest_collection_finish(self, session):
        self.ids = [item.nodeid for item in session.items]

found = {}
for args in json.loads(sys.argv[1]):
    selected = Selected()
    code = pytest.main([*args, "--collect-only", "-q", "-n0"], plugins=[selected])
    found[" ".join(args)] = [int(code), selected.ids]
print("SELECTED " + json.dumps(found))
"""


def readme_test_commands() -> list[list[str]]:
    """The pytest arguments of each `./run tests ...` line in the README's Tests section."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("\n## Tests\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = []
    for line in block.splitlines():
        words = shlex.split(line, comments=True)
        assert words[:2] == ["./run", "tests"], line
        commands.append(words[2:])
    return commands


def selections(commands: list[list[str]]) -> dict[str, list[str]]:
    """Each command's arguments -> the node ids pytest selects with them."""
    done = subprocess.run(
        [sys.executable, "-c", COLLECT, json.dumps(commands)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    last = done.stdout.splitlines()[-1] if done.stdout.strip() else ""
    assert last.startswith("SELECTED "), done.stdout[-3000:] + done.stderr[-3000:]
    found: dict[str, tuple[int, list[str]]] = json.loads(last.removeprefix("SELECTED "))
    for text, (code, _ids) in found.items():
        assert code == 0, f"./run tests {text}: pytest exited with {code}\n{done.stdout[-3000:]}"
    return {text: ids for text, (_code, ids) in found.items()}


@pytest.mark.version_agnostic  # pytest's argument parsing
def test_each_readme_test_command_selects_what_it_says() -> None:
    selected = selections(readme_test_commands())
    assert len(selected) >= 4
    for text, ids in selected.items():
        assert ids, f"./run tests {text} selects no test"
    # the debugging line selects the whole suite; every other line a part of it
    everything = set(selected["-n0 -x --pdb"])
    for text, ids in selected.items():
        assert set(ids) <= everything, text
        if "tests/sources/test_stripe.py" in text:
            assert all("stripe" in node for node in ids), text
            assert any(node.startswith("tests/sources/test_stripe.py::") for node in ids), text
        if "not slow" in text:
            assert 0 < len(ids) < len(everything), text
