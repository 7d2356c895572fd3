#!/usr/bin/python3
"""Test oracle: decodes every image of a CRIU images directory with CRIU's own python decoder
(pycriu.images.load(f, pretty=True), the call behind `crit decode -i FILE --pretty`) in one process,
and prints JSON: the decoded images, plus the pretty-printing rules crit applied (which fields are
hex/ip/flags/dev/dict, and the flag and dict tables), read from CRIU's descriptors and pb2dict so
the test can apply the same rules to cryo's output. Integers beyond 2**53 are printed as strings
so JavaScript's JSON.parse keeps them exact.

usage: crit-oracle.py DIR [FILE...]
"""
import importlib
import json
import os
import pkgutil
import sys

import pycriu.images as images_pkg
from pycriu.images import images, pb2dict

sys.path.insert(0, os.path.dirname(images_pkg.__file__))
import opts_pb2  # noqa: E402  (flat module, as pb2dict imports it)

SAFE = 2 ** 53 - 1


def exact(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return str(v) if abs(v) > SAFE else v
    if isinstance(v, dict):
        return {k: exact(x) for k, x in v.items()}
    if isinstance(v, list):
        return [exact(x) for x in v]
    return v


def field_rules():
    rules = {}

    def walk(desc):
        r = {}
        for f in desc.fields:
            o = f.GetOptions().Extensions[opts_pb2.criu]
            got = {k: getattr(o, k) for k in ('hex', 'ipadd', 'flags', 'dev', 'odev', 'dict', 'conv') if getattr(o, k)}
            if got:
                r[f.name] = got
        if r:
            rules[desc.full_name] = r
        for n in desc.nested_types:
            walk(n)

    for mod in pkgutil.iter_modules(images_pkg.__path__):
        if mod.name.endswith('_pb2'):
            for m in importlib.import_module(mod.name).DESCRIPTOR.message_types_by_name.values():
                walk(m)
    return rules


def main():
    d = sys.argv[1]
    names = sys.argv[2:] or sorted(os.listdir(d))
    out = {}
    for n in names:
        try:
            with open(os.path.join(d, n), 'rb') as f:
                out[n] = {'image': exact(images.load(f, pretty=True))}
        except Exception as e:  # the test decides which failures matter
            out[n] = {'error': '%s: %s' % (type(e).__name__, e)}
    json.dump({
        'images': out,
        'rules': field_rules(),
        'flagsMaps': pb2dict.flags_maps,
        'dictMaps': {k: v[0] for k, v in pb2dict.dict_maps.items()},
    }, sys.stdout)


if __name__ == '__main__':
    main()
