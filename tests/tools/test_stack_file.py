"""Stack files read as the Pulumi CLI reads them (go-yaml v3, then Pulumi's config rules), and refused as it refuses."""

import json
import shutil
import tracemalloc
from pathlib import Path

import pytest

from infra.config.parse import config_from_engine
from infra.config.types import ENCRYPTED
from tests.support.cli import Done, command
from tests.support.stacks import ROOT, SHIPPED
from tools.cli import main
from tools.stack_file import (
    INLINE_ESC,
    MAX_DEPTH,
    MAX_FILE_BYTES,
    SecretText,
    StackFileError,
    load_stack_file,
    parse_stack_file,
)

NAME = Path("Pulumi.test.yaml")


def values(document: str | bytes) -> dict[str, str]:
    data = document.encode() if isinstance(document, str) else document
    return parse_stack_file(data, NAME).values


def one(value: str) -> str:
    """The string the program gets for `llama-on-azure:x: <value>`."""
    return values(f"config:\n  llama-on-azure:x: {value}\n")["llama-on-azure:x"]


def refused(document: str | bytes) -> str:
    with pytest.raises(StackFileError) as caught:
        values(document)
    return str(caught.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # YAML 1.1 booleans are strings in YAML 1.2 (go-yaml v3); only true/True/TRUE are booleans.
        ("yes", "yes"),
        ("No", "No"),
        ("on", "on"),
        ("OFF", "OFF"),
        ("y", "y"),
        ("TRUE", "true"),
        ("False", "false"),
        # Unquoted dates are timestamps: Pulumi hands the program Go's time.String().
        ("2026-03-04", "2026-03-04 00:00:00 +0000 UTC"),
        ("2026-3-4", "2026-03-04 00:00:00 +0000 UTC"),
        ("2026-03-04T05:06:07Z", "2026-03-04 05:06:07 +0000 UTC"),
        ("2026-03-04t05:06:07.250Z", "2026-03-04 05:06:07.25 +0000 UTC"),
        ("2026-03-04T05:06:07-02:30", "2026-03-04 05:06:07 -0230 -0230"),
        ("2026-03-04 05:06:07", "2026-03-04 05:06:07 +0000 UTC"),
        ("2026-02-30", "2026-02-30"),  # not a day: stays text
        ("2024-02-29", "2024-02-29 00:00:00 +0000 UTC"),
        ("'2026-03-04'", "2026-03-04"),
        # Integers as Go's strconv reads them: a leading zero is octal, underscores vanish.
        ("017", "15"),
        ("0777", "511"),
        ("0o17", "15"),
        ("0x2a", "42"),
        ("-0x10", "-16"),
        ("0b101", "5"),
        ("+7", "7"),
        ("2_000", "2000"),
        ("09", "9"),  # not octal, so a float: 9
        ("18446744073709551615", "18446744073709551615"),
        ("123456789012345678901", "123456789012345680000"),
        # Floats: printed as encoding/json prints a float64.
        ("2e3", "2000"),
        ("1.50", "1.5"),
        (".25", "0.25"),
        ("-.5", "-0.5"),
        ("-0.0", "0"),
        ("1e22", "1e+22"),
        ("1e-8", "1e-8"),
        ("0.000001", "0.000001"),
        ("1e999", "1e999"),  # out of range: Go's ParseFloat fails, the text stays
        # Strings, tags, nulls.
        ('"0123"', "0123"),
        ("!!str 0123", "0123"),
        ("!!str true", "true"),
        ("!!float 3", "3"),
        ("!!binary d29ybGQ=", "world"),
        ("!custom text", "text"),
        ("! 12", "12"),
        ("~", ""),
        ("null", ""),
        ("''", ""),
        ("Infinity", "Infinity"),
        ("NaN", "NaN"),
        ("<<", "<<"),
    ],
)
def test_a_scalar_gives_the_program_what_the_cli_gives(value, expected):
    assert one(value) == expected


def test_objects_become_json_with_go_yaml_v3_meanings():
    doc = (
        "config:\n  llama-on-azure:x: {i: 3, f: 1e3, f2: 1.5, b: yes, b2: True, d: 2026-01-01, h: 0x10, o: 012,\n"
        '    n: ~, s: "012", list: [1, "2", 3.0, on], html: "<a&b>"}\n'
    )
    assert json.loads(values(doc)["llama-on-azure:x"]) == {
        "b": "yes",
        "b2": True,
        "d": "2026-01-01 00:00:00 +0000 UTC",
        "f": 1000,
        "f2": 1.5,
        "h": 16,
        "i": 3,
        "list": [1, "2", 3, "on"],
        "n": None,
        "o": 10,
        "s": "012",
        "html": "<a&b>",
    }
    # The exact text: sorted keys, no spaces, HTML characters escaped as encoding/json does.
    assert values("config:\n  llama-on-azure:x: {z: '<', a: [1.0, 2.5]}\n")["llama-on-azure:x"] == (
        '{"a":[1,2.5],"z":"\\u003c"}'
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("!!set {a, b}", {"a": None, "b": None}),
        ("!tagged {k: v}", {"k": "v"}),
        ("{1: a, true: b, ~: c, 1e6: d, 2.5: e}", {"1": "a", "true": "b", "<nil>": "c", "1e+06": "d", "2.5": "e"}),
        ("{2026-01-01: a}", {"2026-01-01 00:00:00 +0000 UTC": "a"}),
        ("[!!binary aGk=, !!str 1, !!float 2]", ["hi", "1", 2]),
        ("{0x1: a, 1: b}", {"1": "b"}),  # two spellings of the int 1: Go keeps the last
    ],
)
def test_tags_sets_and_non_string_keys_inside_objects(value, expected):
    assert json.loads(one(value)) == expected


def test_anchors_aliases_and_merge_keys_expand():
    doc = (
        "config:\n"
        "  llama-on-azure:base: &base {sku: A, size: 1}\n"
        "  llama-on-azure:x: {<<: *base, size: 2}\n"
        "  llama-on-azure:y: {<<: [{a: 1}, {a: 2, b: 2}], c: 3}\n"
        "  llama-on-azure:z: [*base, *base]\n"
    )
    got = {k.split(":")[1]: json.loads(v) for k, v in values(doc).items()}
    assert got["x"] == {"sku": "A", "size": 2}  # explicit keys win over merged ones
    assert got["y"] == {"a": 1, "b": 2, "c": 3}  # the first merged map wins
    assert got["z"] == [{"sku": "A", "size": 1}] * 2


def test_keys_without_a_namespace_join_the_projects():
    got = values("config:\n  region: eastus2\n  azure-native:location: eastus2\n  llama-on-azure:config:tags: {}\n")
    assert got == {
        "llama-on-azure:region": "eastus2",
        "azure-native:location": "eastus2",
        "llama-on-azure:tags": "{}",
    }


def test_secure_values_stay_encrypted_and_are_secret_keys():
    stack = parse_stack_file(
        b"config:\n  llama-on-azure:a: {secure: v1:abc}\n  llama-on-azure:b: {owner: {secure: v1:def}}\n"
        b"  llama-on-azure:c: {secure: 42}\n",
        NAME,
    )
    assert stack.values["llama-on-azure:a"] == ENCRYPTED
    # An object keeps its shape, only its secure leaves are encrypted: which tags exist stays known offline.
    assert json.loads(stack.values["llama-on-azure:b"]) == {"owner": ENCRYPTED}
    assert stack.secret_keys == {"llama-on-azure:a", "llama-on-azure:b"}
    assert stack.values["llama-on-azure:c"] == '{"secure":42}'  # not a string: an ordinary map
    assert stack.engine_config()["llama-on-azure:a"] == ENCRYPTED
    assert isinstance(stack.engine_config()["llama-on-azure:b"], SecretText)


def test_a_null_value_is_an_empty_string_with_a_warning():
    stack = parse_stack_file(b"config:\n  llama-on-azure:x:\n", NAME)
    assert stack.values == {"llama-on-azure:x": ""}
    assert stack.warnings == ("llama-on-azure:x: no value (null): the program gets an empty string",)


@pytest.mark.parametrize(
    "document",
    [
        b"\xef\xbb\xbfconfig:\n  llama-on-azure:x: caf\xc3\xa9\n",
        "config:\n  llama-on-azure:x: café\n".encode("utf-16"),
        b"\xfe\xff" + "config:\n  llama-on-azure:x: café\n".encode("utf-16-be"),
    ],
    ids=["utf-8 bom", "utf-16 le bom", "utf-16 be bom"],
)
def test_byte_order_marks_are_read(document):
    assert values(document) == {"llama-on-azure:x": "café"}


def test_empty_files_and_empty_config_have_no_keys():
    assert values(b"") == values(b"config:\n") == values(b"# only a comment\n") == {}


def test_only_the_first_document_is_read():
    assert values("config:\n  llama-on-azure:x: 1\n---\n: [unclosed\n") == {"llama-on-azure:x": "1"}


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("config:\n  llama-on-azure:x: 1\n  llama-on-azure:x: 2\n", 'line 3: mapping key "llama-on-azure:x" already'),
        ("config:\n  llama-on-azure:x: {a: 1, b: 2, a: 3}\n", 'line 2: mapping key "a" already defined at line 2'),
        ("config: {}\nconfig: {}\n", 'line 2: mapping key "config" already defined at line 1'),
        ("config:\n  llama-on-azure:x: {1: a, '1': b}\n", 'mapping key "1" already defined'),
        ("config:\n  llama-on-azure:x: {1: a, 1.0: b}\n", "two keys both read as '1'"),
        ("config:\n  region: a\n  llama-on-azure:region: b\n", "'llama-on-azure:region' and 'region' are the same key"),
        ("config:\n  a:b:c: 1\n", "line 2: could not parse 'a:b:c' as a configuration key"),
        ("config:\n  7: a\n", "line 2: config key '7' is not a string"),
        ("7: a\nconfig: {}\n", "expected only string keys at the top of the file"),
        ("config:\n  llama-on-azure:x: .inf\n", "llama-on-azure:x: .inf and .nan cannot be config values"),
        ("config:\n  llama-on-azure:x: {deep: [-.Inf]}\n", "llama-on-azure:x.deep[0]: .inf and .nan cannot"),
        ("config:\n  llama-on-azure:x: .NaN\n", ".inf and .nan cannot be config values"),
        ("config:\n  llama-on-azure:x: !!int twelve\n", "line 2: cannot decode !!str `twelve` as a !!int"),
        ("config:\n  llama-on-azure:x: !!bool yes\n", "cannot decode !!str `yes` as a !!bool"),
        ("config:\n  llama-on-azure:x: !!binary not*base64\n", "line 2: !!binary value contains invalid base64"),
        ("config:\n  llama-on-azure:x: !!binary /w==\n", "!!binary value is not UTF-8 text"),
        ("config:\n  llama-on-azure:x: {[a]: 1}\n", "a map or a list cannot be a key"),
        ("config:\n  llama-on-azure:x: *nowhere\n", "line 2: unknown anchor 'nowhere' referenced"),
        ("config:\n  llama-on-azure:x: &me [*me]\n", "anchor 'me' value contains itself"),
        ("config:\n  llama-on-azure:x: {<<: 3}\n", "map merge requires map or sequence of maps"),
        ("config:\n\tllama-on-azure:x: 1\n", "line 2: invalid YAML: found character that cannot start any token"),
        ("config:\n  llama-on-azure:x: [1, 2\n", "invalid YAML"),
        ("config: 5\n", "config: must be a map of keys to values"),
        ("- config\n", "a stack file is a map with a `config:` key"),
        ("config:\n  llama-on-azure:x: a\x07b\n", "line 2: control character U+0007 is not allowed"),
    ],
)
def test_what_the_cli_refuses_is_refused_naming_file_line_and_problem(document, expected):
    message = refused(document)
    assert message.startswith(f"{NAME.name}")
    assert expected in message


def test_every_value_pulumi_would_refuse_in_one_key_or_several_is_told_at_once():
    message = refused(
        "config:\n  llama-on-azure:budget:\n    thresholds: [50, .nan, .inf]\n"
        "    x: {1: a, 1.0: b}\n  llama-on-azure:tags:\n    a: -.inf\n"
    )
    for path in ("budget.thresholds[1]", "budget.thresholds[2]", "tags.a"):
        assert f"llama-on-azure:{path}: .inf and .nan cannot be config values" in message, message
    assert "llama-on-azure:budget.x: two keys both read as '1'" in message
    assert "(4 problems)" in message


def test_a_tab_for_indentation_is_explained():
    assert "YAML is indented with spaces only" in refused("config:\n\tllama-on-azure:x: 1\n")
    assert values("config:\n  llama-on-azure:x:\t1\n") == {"llama-on-azure:x": "1"}  # after the colon it is fine


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("config:\n  llama-on-azure:x: café\n".encode("latin-1"), "line 2: byte 0xE9 is not UTF-8"),
        ("config:\n  llama-on-azure:x: 1\n".encode("utf-16-le"), "line 1: control character U+0000 is not allowed"),
        (b"\xff\xfe" + b"c\x00o\x00\x00\xd8", "not valid UTF-16"),
    ],
    ids=["latin-1", "utf-16 without bom", "broken utf-16"],
)
def test_other_encodings_are_refused(document, expected):
    assert expected in refused(document)


def test_every_problem_is_listed_at_once():
    message = refused("config:\n  llama-on-azure:a: 1\n  llama-on-azure:a: 2\n  llama-on-azure:b: {k: 1, k: 2}\n")
    assert "2 problems" in message
    assert 'line 3: mapping key "llama-on-azure:a"' in message and 'line 4: mapping key "k"' in message


def test_alias_bombs_are_refused_in_bounded_memory():
    lines = ["config:", "  llama-on-azure:a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"  llama-on-azure:a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    wide = "config:\n  llama-on-azure:s: &s " + "x" * 100_000 + "\n  llama-on-azure:l: [" + "*s," * 1000 + "]\n"
    tracemalloc.start()
    try:
        assert "document contains excessive aliasing" in refused("\n".join(lines) + "\n")
        assert "expand to more than" in refused(wide)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 << 20, f"{peak} bytes"


def test_deep_nesting_and_large_files_are_refused():
    assert f"nested deeper than {MAX_DEPTH} levels" in refused("config:\n  x: " + "[" * 200 + "]" * 200 + "\n")
    chain = "".join(f"  llama-on-azure:a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 150))
    assert "aliases included" in refused("config:\n  llama-on-azure:a0: &a0 [1]\n" + chain)
    assert f"is larger than {MAX_FILE_BYTES} bytes, the most" in refused(b"#" * (MAX_FILE_BYTES + 1))


def test_the_shipped_stacks_read_as_before_and_validate():
    for stack in SHIPPED:
        loaded = load_stack_file(ROOT / f"Pulumi.{stack}.yaml")
        assert loaded.values["llama-on-azure:region"]
        assert config_from_engine(loaded.values, set(loaded.secret_keys), stack).config.region


def test_a_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(StackFileError, match=r"Pulumi\.none\.yaml: cannot read it"):
        load_stack_file(tmp_path / "Pulumi.none.yaml")


def crafted(tmp_path: Path, text: str) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    dev = (ROOT / "Pulumi.dev.yaml").read_text()
    (tmp_path / "Pulumi.x.yaml").write_text(dev + text)
    return tmp_path


def plan(cwd: Path, *args: str) -> Done:
    return command("plan", "--stack", "x", "--skip-policies", *args, cwd=cwd)


def test_plan_reads_yes_as_pulumi_does_and_refuses_it_for_a_boolean(tmp_path):
    done = plan(crafted(tmp_path, "  llama-on-azure:access:\n    deployerRole: yes\n"))
    assert done.returncode == 1, done.stdout
    assert "llama-on-azure:access.deployerRole: 'yes' is not allowed; true or false" in done.stderr
    assert "Traceback" not in done.stderr


def test_plan_refuses_a_duplicate_key_naming_the_line(tmp_path):
    project = crafted(tmp_path, "  llama-on-azure:region: westus\n")
    line = len((project / "Pulumi.x.yaml").read_text().splitlines())
    done = plan(project)
    assert done.returncode == 1
    assert done.stderr.startswith(f'error: Pulumi.x.yaml: line {line}: mapping key "llama-on-azure:region" already')


def test_plan_warns_about_a_null_value_and_refuses_a_bad_stack_name(tmp_path, monkeypatch, capsys):
    done = plan(crafted(tmp_path, "  llama-on-azure:nameSuffix:\n"))
    # Among the plan's own warnings (so a pull-request comment shows them), not only on stderr.
    warnings = done.stdout.split("Warnings (", 1)[1]
    assert "llama-on-azure:nameSuffix: no value (null)" in warnings.split("\n\n", 1)[0], done.stdout
    monkeypatch.chdir(tmp_path)
    assert main(["plan", "--stack", "../x"]) == 1  # refused before any file is opened
    assert "--stack '../x' is not a stack name" in capsys.readouterr().err


def aliased(count: int) -> str:
    return "config:\n  llama-on-azure:a: &a [" + "x," * 200 + "]\n  llama-on-azure:b: [" + "*a," * count + "]\n"


def test_go_yamls_alias_ratio_decides_like_go_yaml():
    # 500 aliases of a 200-item list: 99.3% of the values come from aliases, over go-yaml's 99% for small files.
    assert "document contains excessive aliasing" in refused(aliased(500))
    assert len(json.loads(values(aliased(100))["llama-on-azure:b"])) == 100  # 98.5%: accepted


@pytest.mark.parametrize(
    ("environment", "names"),
    [
        ("environment:\n  - team/common\n  - llama/staging\n", ("team/common", "llama/staging")),
        ("environment:\n  imports:\n    - a\n    - b: {merge: false}\n", ("a", "b")),
        ("environment:\n  values:\n    x: 1\n", (INLINE_ESC,)),
        ("environment: 5\n", (INLINE_ESC,)),
        ("environment:\n", ()),
        ("environment: []\n", ()),
    ],
    ids=["list", "imports", "inline", "odd", "null", "empty"],
)
def test_an_esc_import_is_named_in_a_warning_never_refused(environment, names):
    loaded = parse_stack_file((environment + "config:\n  llama-on-azure:prefix: x\n").encode(), Path("Pulumi.x.yaml"))
    assert loaded.environments == names
    assert loaded.values == {"llama-on-azure:prefix": "x"}, "the file's config, as it is"
    notes = [w for w in loaded.warnings if "ESC" in w]
    assert len(notes) == (1 if names else 0)
    assert all(name in notes[0] for name in names) and (not notes or "cannot open ESC" in notes[0])


def test_an_integer_of_thousands_of_digits_is_text_as_pulumi_reads_it():
    # Past 64 bits go-yaml does not read it as a number; Python would refuse to convert 4,300 decimal digits.
    huge = "1" + "0" * 5000
    assert values(f"config:\n  llama-on-azure:x: {huge}\n  llama-on-azure:y: -{huge}\n") == {
        "llama-on-azure:x": huge,
        "llama-on-azure:y": f"-{huge}",
    }
