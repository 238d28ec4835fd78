"""terraform/*.tf parsed with the `hcl2` module, in one plain shape the tests assert on.

Two distributions install a module named `hcl2`, with different output:
- python-hcl2 >= 7 keeps HCL's quotes ('"e2-micro"', labels too) and marks blocks
  with `__is_block__`;
- bc-python-hcl2 (checkov's fork, pinned by checkov) wraps every attribute in a
  one-item list (['e2-micro']) and adds `__start_line__`/`__end_line__`.
With both installed, whichever was unpacked last provides `hcl2`; `normalize()` turns
either into: attribute -> its value (strings unquoted, expressions kept as '${...}'),
nested block -> list of dicts.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

TERRAFORM = Path(__file__).resolve().parents[2] / "terraform"


def unquote(raw: Any) -> Any:
    if isinstance(raw, str) and len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return raw[1:-1]
    if isinstance(raw, list):
        return [unquote(item) for item in raw]
    if isinstance(raw, dict):
        return {unquote(k): unquote(v) for k, v in raw.items() if not k.startswith("__")}
    return raw


def is_block_list(raw: Any, quoted: bool) -> bool:
    if not isinstance(raw, list) or not raw or not all(isinstance(b, dict) for b in raw):
        return False
    if quoted:
        return all(b.get("__is_block__") for b in raw)
    # bc-python-hcl2: a block's attributes are all wrapped in lists; a map's values are not.
    return all(all(isinstance(v, list | dict) for v in b.values()) for b in raw)


def normalize(body: dict[str, Any], quoted: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, raw in body.items():
        if key.startswith("__"):
            continue
        if is_block_list(raw, quoted):
            out[unquote(key)] = [normalize(b, quoted) for b in raw]
        elif quoted:
            out[unquote(key)] = unquote(raw)
        else:
            out[key] = raw[0] if isinstance(raw, list) and len(raw) == 1 else raw
    return out


def block(body: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The single nested block `name`, or None."""
    blocks = body.get(name)
    if blocks is None:
        return None
    assert isinstance(blocks, list), f"{name}: not a block"
    assert len(blocks) == 1, f"{name}: expected one block"
    return blocks[0]


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    body: dict[str, Any]
    file: str

    @property
    def address(self) -> str:
        return f"{self.type}.{self.name}"

    def __getitem__(self, key: str) -> Any:
        return self.body[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.body.get(key, default)


@dataclass(frozen=True)
class Config:
    resources: list[Resource]
    variables: dict[str, dict[str, Any]]
    locals: dict[str, Any]
    outputs: dict[str, dict[str, Any]]
    terraform: dict[str, Any]


@functools.cache
def config() -> Config:
    resources, variables, locals_, outputs, terraform = [], {}, {}, {}, {}
    paths = sorted(TERRAFORM.glob("*.tf"))
    assert paths, f"no .tf files in {TERRAFORM}"
    for path in paths:
        with path.open() as f:
            doc = hcl2.load(f)
        quoted = '"__is_block__"' in json.dumps(doc)
        for entry in doc.get("resource", []):
            for rtype, named in entry.items():
                for rname, body in named.items():
                    resources.append(
                        Resource(unquote(rtype), unquote(rname), normalize(body, quoted), path.name)
                    )
        for kind, found in (("variable", variables), ("output", outputs)):
            for entry in doc.get(kind, []):
                for name, body in entry.items():
                    found[unquote(name)] = normalize(body, quoted)
        for entry in doc.get("locals", []):
            locals_.update(normalize(entry, quoted))
        for entry in doc.get("terraform", []):
            terraform.update(normalize(entry, quoted))
    return Config(resources, variables, locals_, outputs, terraform)


def resources() -> list[Resource]:
    return config().resources


def resources_of(rtype: str) -> list[Resource]:
    return [r for r in resources() if r.type == rtype]


def variables() -> dict[str, dict[str, Any]]:
    return config().variables


def variable_default(name: str) -> Any:
    return variables()[name]["default"]


def locals_() -> dict[str, Any]:
    return config().locals


def outputs() -> dict[str, dict[str, Any]]:
    return config().outputs


def roles_granted(resource: Resource) -> set[str]:
    """The roles an IAM member resource grants: its literal role, or each role of a
    for_each over a literal set when the role is `each.value`."""
    role = resource["role"]
    if role == "${each.value}":
        return set(re.findall(r"roles/[A-Za-z.]+", resource["for_each"]))
    assert not role.startswith("${"), f"{resource.address}: role is an expression: {role}"
    return {role}
