"""The JSON Schema keywords results/schema/result.schema.json uses (the subset rooflm's own checker,
engine/results/json_schema_check.cpp, supports), in Python: lets the peer's tests check a results
file against the schema of this tree without a rooflm built from it.

    python3 tests/peers/schema_check.py results/schema/result.schema.json FILE.json   # exit 1 + path on a violation
"""
import json
import re
import sys

TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def _is(value, kind):
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool) or (isinstance(value, float) and value.is_integer())
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, TYPES[kind])


def check(value, schema, root, path="$"):
    """Raises ValueError naming the JSON path of the first violation."""
    if "$ref" in schema:
        node = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        check(value, node, root, path)
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is(value, k) for k in kinds):
            raise ValueError(f"{path}: expected {kinds}, is {json.dumps(value)[:80]}")
    if "enum" in schema and value not in schema["enum"]:
        raise ValueError(f"{path}: is {json.dumps(value)}, expected one of {schema['enum']}")
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        raise ValueError(f"{path}: {value!r} does not match {schema['pattern']}")
    if _is(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            raise ValueError(f"{path}: {value} < minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            raise ValueError(f"{path}: {value} > maximum {schema['maximum']}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            raise ValueError(f"{path}: fewer than {schema['minItems']} items")
        if "items" in schema:
            for i, item in enumerate(value):
                check(item, schema["items"], root, f"{path}[{i}]")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                raise ValueError(f"{path}: missing required key {key!r}")
        props = schema.get("properties", {})
        patterns = schema.get("patternProperties", {})
        for key, item in value.items():
            matched = [sub for pattern, sub in patterns.items() if re.search(pattern, key)]
            for sub in matched:
                check(item, sub, root, f"{path}.{key}")
            if key in props:
                check(item, props[key], root, f"{path}.{key}")
            elif matched:
                continue
            elif isinstance(schema.get("additionalProperties"), dict):
                check(item, schema["additionalProperties"], root, f"{path}.{key}")
            elif schema.get("additionalProperties") is False:
                raise ValueError(f"{path}: unknown key {key!r}")
    if "if" in schema:
        try:
            check(value, schema["if"], root, path)
            matched = True
        except ValueError:
            matched = False
        branch = schema.get("then" if matched else "else")
        if branch:
            check(value, branch, root, path)


if __name__ == "__main__":
    schema = json.load(open(sys.argv[1]))
    for name in sys.argv[2:]:
        try:
            check(json.load(open(name)), schema, schema)
        except ValueError as e:
            print(f"{name}: {e}", file=sys.stderr)
            sys.exit(1)
    print("schema ok:", " ".join(sys.argv[2:]))
