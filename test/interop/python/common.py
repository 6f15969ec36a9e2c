"""Shared helpers for the interop client scripts.

Every script prints exactly one JSON object on its last stdout line (the result the
TypeScript test asserts on); bulk data (deliveries, consumed records) goes to JSON-lines
files named on the command line. Bytes travel as base64.
"""
import base64
import json
import sys
import time


def b64(data):
    if data is None:
        return None
    if isinstance(data, str):
        data = data.encode('utf-8')
    return base64.b64encode(bytes(data)).decode('ascii')


def unb64(text):
    if text is None:
        return None
    return base64.b64decode(text)


def read_records(path):
    """Yields (index, key, value, headers, timestamp) from a file written by records.ts."""
    with open(path, 'r', encoding='utf-8') as f:
        i = 0
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            headers = [(name, unb64(v)) for name, v in r['h']]
            yield i, unb64(r['k']), unb64(r['v']), headers, r['ts']
            i += 1


def headers_json(headers):
    if not headers:
        return []
    return [[name, b64(v)] for name, v in headers]


def consumed_line(partition, offset, key, value, headers, ts):
    return json.dumps({'p': partition, 'o': offset, 'k': b64(key), 'v': b64(value),
                       'h': headers_json(headers), 'ts': ts}, separators=(',', ':'))


def result(obj):
    sys.stdout.write(json.dumps(obj, default=str) + '\n')
    sys.stdout.flush()


def kv_pairs(items):
    out = {}
    for item in items or []:
        k, sep, v = item.partition('=')
        if not sep:
            raise SystemExit('expected key=value, got %r' % item)
        out[k] = v
    return out


class Deadline(object):
    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def left(self):
        return self.end - time.monotonic()

    def passed(self):
        return time.monotonic() >= self.end
