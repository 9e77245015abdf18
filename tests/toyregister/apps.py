from __future__ import annotations

from xicheng import plugins


class ToyRegisterConfig(plugins.DomainConfig):
    name = "tests.toyregister"
    label = "toyregister"
    verbose_name = "Street-lamp repairs"
    field_models = ["lamprepair"]
    urls = "tests.toyregister.faces"
    api = "tests.toyregister.faces"
    metrics = "tests.toyregister.faces.METRICS"
    nav = "tests.toyregister.faces.NAV"
