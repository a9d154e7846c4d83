"""RS256 tokens and a JWKS for the tests, made with the openssl command line
(the service verifies them with OpenSSL's library)."""
import base64
import hashlib
import hmac
import http.server
import json
import os
import subprocess
import threading
import time


def b64u(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Key:
    def __init__(self, folder, kid):
        self.kid = kid
        self.pem = os.path.join(folder, "%s.pem" % kid)
        subprocess.run(["openssl", "genrsa", "-out", self.pem, "2048"], check=True,
                       capture_output=True)
        mod = subprocess.run(["openssl", "rsa", "-in", self.pem, "-noout", "-modulus"],
                             check=True, capture_output=True, text=True).stdout
        n = bytes.fromhex(mod.strip().split("=", 1)[1])
        self.jwk = {"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig", "n": b64u(n),
                    "e": b64u((65537).to_bytes(3, "big"))}
        self.public_pem = subprocess.run(["openssl", "rsa", "-in", self.pem, "-pubout"],
                                         check=True, capture_output=True).stdout

    def sign(self, data):
        return subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.pem], input=data,
                              check=True, capture_output=True).stdout


def token(key, claims=None, header=None, alg="RS256", secret=None):
    now = int(time.time())
    body = {"sub": "user-1", "iss": "https://issuer.test", "aud": "tvshows-client",
            "exp": now + 600, "iat": now}
    body.update(claims or {})
    body = {k: v for k, v in body.items() if v is not None}  # None: leave the claim out
    h = {"alg": alg, "typ": "JWT", "kid": key.kid if key else "none"}
    h.update(header or {})
    signing_input = (b64u(json.dumps(h)) + "." + b64u(json.dumps(body))).encode()
    if alg == "RS256":
        sig = key.sign(signing_input)
    elif alg.startswith("HS"):
        sig = hmac.new(secret, signing_input, hashlib.sha256).digest()
    else:
        sig = b""
    return signing_input.decode() + "." + b64u(sig)


class JwksServer:
    """Serves a JWKS on loopback; keys can change while it runs. `delay`
    (seconds) makes every answer slow; `redirect` (a URL) answers 302 to it
    instead of the keys."""

    def __init__(self):
        self.keys = []
        self.fetches = 0
        self.delay = 0.0
        self.redirect = None
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.fetches += 1
                if outer.delay:
                    time.sleep(outer.delay)
                if outer.redirect:
                    self.send_response(302)
                    self.send_header("Location", outer.redirect)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = json.dumps({"keys": [k.jwk for k in outer.keys]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d/.well-known/jwks.json" % self.httpd.server_address[1]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
