"""The simulated province: realistic 贵州 government sites on loopback, with a ground-truth manifest.

`generate_province` builds site specs from a seed (planted defects, browser-only lists, down, walled,
flaky and slow sites, broken links, hostile pages, public 留言 lists and 办事指南 with their W-V5 and
W-V6 cases); `FarmServer` serves them (pages rendered on request); `Province.manifest()` is the ground
truth the end-to-end tests and benchmarks compare against.
"""

from farm.province import Province, generate_province
from farm.server import FarmServer, serve_forever

__all__ = ["FarmServer", "Province", "generate_province", "serve_forever"]
