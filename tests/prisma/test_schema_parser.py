"""The schema.prisma parser: what it reads, and the line:column it reports for what it cannot."""

from __future__ import annotations

from pathlib import Path

import pytest

from bhq_migrate.errors import ConfigError, PrismaSchemaError
from bhq_migrate.exitcodes import ExitCode
from bhq_migrate.prisma_schema.parser import Constant, FunctionCall, ObjectValue, load_schema, parse_schema

SEED_MODELS = Path(__file__).parent / "fixtures" / "seed_models.prisma"


def test_seed_fixture_parses_into_all_its_models() -> None:
    schema = load_schema(SEED_MODELS)
    assert [m.name for m in schema.models] == [
        "Tenant", "Contact", "Animal", "Invoice", "Payment",
        "MarketplaceUser", "MarketplaceProvider", "MarketplaceServiceListing", "MarketplaceTransaction",
        "MarketplaceInvoice", "MarketplaceMessageThread", "MarketplaceMessage",
    ]
    assert schema.datasource_schemas == ("public", "marketplace")


def test_field_type_modifiers_and_attributes() -> None:
    schema = parse_schema(
        'model A {\n  id Int @id @default(autoincrement())\n  tags String[]\n'
        '  rating Decimal? @default(0.00) @map("average_rating") @db.Decimal(3, 2)\n}\n'
    )
    model = schema.models[0]
    rating = model.field("rating")
    assert rating is not None and rating.optional and not rating.is_list
    assert model.field("tags").is_list  # type: ignore[union-attr]
    assert [a.name for a in rating.attributes] == ["default", "map", "db.Decimal"]
    assert rating.attribute("default").positional() == 0.0  # type: ignore[union-attr]
    assert [arg.value for arg in rating.native_type().arguments] == [3, 2]  # type: ignore[union-attr]
    assert model.field("id").attribute("default").positional() == FunctionCall("autoincrement")  # type: ignore[union-attr]


def test_block_attribute_arguments_keep_sort_order_and_names() -> None:
    schema = parse_schema(
        'model A {\n  a Int\n  b Int\n  @@index([a, b(sort: Desc)], map: "a_b")\n'
        '  @@unique([a, b], name: "ab", where: { a: true })\n}\n'
    )
    index, unique = schema.models[0].attributes
    assert index.argument("fields") == (Constant("a"), FunctionCall("b", (index.argument("fields")[1].arguments)))  # type: ignore[index,union-attr]
    assert index.named("map") == "a_b"
    assert unique.named("name") == "ab"
    assert unique.named("where") == ObjectValue((("a", True),))


def test_positions_are_one_based_line_and_column() -> None:
    schema = parse_schema("// comment\n\nmodel A {\n  id Int @id\n  @@map(\"a\")\n}\n")
    model = schema.models[0]
    assert (model.line, model.column) == (3, 1)
    assert (model.fields[0].line, model.fields[0].column) == (4, 3)
    assert (model.fields[0].attributes[0].line, model.fields[0].attributes[0].column) == (4, 10)
    assert (model.attributes[0].line, model.attributes[0].column) == (5, 3)


def test_block_positions_are_their_keywords() -> None:
    schema = parse_schema("  model   A {\n  id Int\n}\n\tenum E {\n  X @map(\"x\")\n  @@map(\"e\")\n}\n"
                          " view V {\n  id Int @unique\n}\ntype T {\n  a Int\n}\n")
    assert (schema.models[0].line, schema.models[0].column) == (1, 3)
    enum = schema.enums[0]
    assert (enum.line, enum.column) == (4, 2)
    assert (enum.values[0].attributes[0].line, enum.values[0].attributes[0].column) == (5, 5)
    assert (enum.attributes[0].line, enum.attributes[0].column) == (6, 3)
    assert (schema.views[0].line, schema.views[0].column) == (8, 2)
    assert (schema.composite_types[0].line, schema.composite_types[0].column) == (11, 1)


def test_keywords_are_valid_field_and_enum_value_names() -> None:
    schema = parse_schema(
        "model A {\n  id Int @id\n  type String\n  model String\n  enum String\n}\n"
        "enum Kind {\n  model\n  type\n}\n"
    )
    assert [f.name for f in schema.models[0].fields] == ["id", "type", "model", "enum"]
    assert [v.name for v in schema.enums[0].values] == ["model", "type"]


def test_multiline_arguments_and_trailing_commas() -> None:
    schema = parse_schema('model A {\n  a Int\n  @@index(\n    [\n      a,\n    ],\n    map: "x",\n  )\n}\n')
    assert schema.models[0].attributes[0].named("map") == "x"


def test_datasource_and_generator_assignments() -> None:
    schema = parse_schema(
        'generator client {\n  provider = "prisma-client-js"\n  previewFeatures = ["partialIndexes"]\n}\n'
        'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n'
    )
    assert schema.generators[0].get("previewFeatures") == ("partialIndexes",)
    assert schema.datasources[0].get("url") == FunctionCall("env", (schema.datasources[0].get("url").arguments))  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("source", "position", "words"),
    [
        ("model A {\n  id Int @id\n", "3:1", "end of the file"),
        ("model A {\n  id Int @id(\n}\n", "3:1", "syntax error at"),
        ("model A {\n  id Int @@id\n}\n", "2:11", "syntax error at '@'"),
        ("modle A {\n}\n", "1:1", "'modle'"),
        ("model A {\n  id Int $\n}\n", "2:10", "'$'"),
        ("model A {\n  name\n  email String\n}\n", "2:7", "end of the line"),
        ("model A {\n  id Int\n  (\n}\n", "3:3", '"@@"'),
    ],
)
def test_syntax_errors_name_file_line_and_column(source: str, position: str, words: str) -> None:
    with pytest.raises(PrismaSchemaError) as error:
        parse_schema(source, "schema.prisma")
    message = str(error.value)
    assert message.startswith(f"schema.prisma:{position}: "), message
    assert words in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("source", "position", "words"),
    [
        ("model A {\n  id Int @id\n  other Missing\n}\n", "3:3", "'Missing'"),
        ("model A {\n  id Int @id\n  id String\n}\n", "3:3", "declared twice"),
        ("model A {\n  id Int @id\n}\nmodel A {\n  id Int @id\n}\n", "4:1", "already declared"),
        ('model A {\n  id Int @id\n  @@schema("x")\n}\n', "3:3", "schemas"),
    ],
)
def test_semantic_errors_point_at_the_offending_line(source: str, position: str, words: str) -> None:
    with pytest.raises(PrismaSchemaError) as error:
        parse_schema(source, "schema.prisma")
    assert str(error.value).startswith(f"schema.prisma:{position}: ")
    assert words in str(error.value)


def test_schema_errors_are_configuration_errors_with_exit_code_2() -> None:
    assert issubclass(PrismaSchemaError, ConfigError)
    assert PrismaSchemaError("x").exit_code == ExitCode.CANNOT_RUN


def test_unreadable_file_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(PrismaSchemaError, match="cannot read"):
        load_schema(tmp_path / "missing.prisma")


def test_block_comments_are_ignored_and_positions_after_them_stay_right() -> None:
    schema = parse_schema(
        'enum Status {\n  OPEN\n}\n\n/**\n * Tracks state.\n * model Ghost { id Int @id }\n */\n'
        'model State {\n  id Int @id /* inline */\n  /* between\n     fields */\n  deletedAt DateTime?\n}\n'
    )
    assert [m.name for m in schema.models] == ["State"]
    state = schema.models[0]
    assert [f.name for f in state.fields] == ["id", "deletedAt"]
    assert (state.line, state.fields[1].line) == (9, 13)
