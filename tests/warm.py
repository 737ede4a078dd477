"""What the apps of one test process share, because it is the same for every app: compiled templates and URL builders.

Imported by tests/conftest.py (the apps tests create) and tests/server_forks.py (the live servers it forks).
"""

from collections.abc import Callable

import jinja2
import jinja2.bccache
import werkzeug.routing.rules


class CompiledTemplates(jinja2.BytecodeCache):
    """The templates' compiled code, kept by the test process for all its apps (keyed by name, checked by source).

    Each test makes its own app, and each app's Jinja environment compiled every template it rendered again: half the
    time of a web test.
    """

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Fill the bucket from what an earlier app compiled (Jinja drops it if the source changed since)."""
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Keep what an app just compiled."""
        self.code[bucket.key] = bucket.bytecode_to_string()


TEMPLATES = CompiledTemplates()


class CompiledRouteBuilders:
    """Werkzeug's URL builder functions, compiled once per test process and shared by the rules of all its apps.

    Every app compiles a builder pair for each of its ~70 URL rules (an AST, then compile()): three quarters of the
    ~80 ms a test's create_app() took. The builder is a pure function of the rule's text, its parts and defaults (it
    reaches the rule's converters through its `self` argument), so the same inputs give the same code; each rule
    still gets it bound to itself, and each app still builds its own Map and rules.
    """

    def __init__(self):
        self.functions: dict[tuple, Callable] = {}
        self.compile = werkzeug.routing.rules.Rule._compile_builder

    def install(self) -> None:
        """Make Werkzeug's rules compile through this cache."""
        cache = self

        def compile_builder(rule: werkzeug.routing.rules.Rule, append_unknown: bool = True) -> Callable:
            defaults = rule.defaults or {}
            converted = tuple(
                (name, repr(value), rule._converters[name].to_url(value) if name in rule._converters else None)
                for name, value in defaults.items()
            )
            key = (rule.rule, tuple(rule._trace), converted, append_unknown)
            if key not in cache.functions:
                cache.functions[key] = cache.compile(rule, append_unknown)
            return cache.functions[key]

        werkzeug.routing.rules.Rule._compile_builder = compile_builder
