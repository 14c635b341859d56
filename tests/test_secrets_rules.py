"""The rules of what gx masks by shape (gx/masking.py, README 'Secrets'), and what it must leave
alone so that ordinary output and code are not mangled."""

from __future__ import annotations

import time

import pytest

from gx.masking import is_secret_name, mask_bytes, mask_text, secret_values_from_env
from gx.tracking.redact import redact_command

MASKED = [
    ("https://user:hunter2@host/x.git", "https://user:***@host/x.git"),
    ("DATABASE_URL=postgres://u:pw123@db.internal/x", "DATABASE_URL=postgres://u:***@db.internal/x"),
    ("Authorization: Bearer abc.def-123", "Authorization: Bearer ***"),
    ("curl -H 'Proxy-Authorization: Basic dXNlcjpwYXNz'", "curl -H 'Proxy-Authorization: Basic ***'"),
    ("authorization: 0123456789abcdef", "authorization: ***"),
    ("Cookie: session=abc123; theme=dark", "Cookie: ***"),
    ("Set-Cookie: id=a3fWa; Expires=Thu", "Set-Cookie: ***"),
    ("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG", "AWS_SECRET_ACCESS_KEY=***"),
    ('{"api_key": "abc123456789", "n": 1}', '{"api_key": "***", "n": 1}'),
    ("export DB_PASSWORD='hunter2x'", "export DB_PASSWORD='***'"),
    ("secret_key: s3cr3t-value", "secret_key: ***"),
    ("pushed with ghp_" + "a1" * 18 + " today", "pushed with *** today"),
    ("hf_" + "x" * 34, "***"),
    ("key sk-proj-abcdEFGH1234ijklMNOP5678", "key ***"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIE\nabc\n-----END RSA PRIVATE KEY-----\n",
     "-----BEGIN RSA PRIVATE KEY-----\n***\n-----END RSA PRIVATE KEY-----\n"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn cut by the tail", "-----BEGIN OPENSSH PRIVATE KEY-----\n***"),
]

#: A bare word after a lower-case secret name: masked in output and command lines, but in code it is an
#: expression (``password=password``), so the snapshot keeps it.
MASKED_IN_TEXT = [
    ("X-Api-Key: abcdef123", "X-Api-Key: ***"),
    ("GET /x?access_token=abcdef123&page=2", "GET /x?access_token=***&page=2"),
    ("password=hunter2", "password=***"),
]

#: Output and code that look a little like secrets and are not.
KEPT = [
    "epoch 3 loss=0.25 lr=3e-4 tokens=51200",
    "max_tokens=512",
    "pad_token = '[PAD]'",
    'bos_token="<s>"',
    "token_type: bearer",
    "use_auth=true",
    "NUM_TOKEN=12345678",
    "author=Ada Lovelace",
    "https://github.com/org/repo.git",
    "ssh://git@host:22/org/repo.git",
    "https://host:8080/path@v2",
    'f"https://{user}:{pw}@host"',
    "https://$USER:$PASS@host",
    "headers = {'Authorization': f'Bearer {token}'}",
    "x = 'Authorization: Bearer ' + token",
    "print('Cookie: ' + cookie)",
    "export HF_TOKEN=$(cat ~/.hf)",
    'API_TOKEN="${API_TOKEN:-}"',
    "password = 'your password here'",
    "ghp_short",
    "pip install sk-learn-extension-for-everything",
]

#: Code that assigns secret names from expressions: kept in the code snapshot (code=True).
CODE_KEPT = [
    "api_key = api_key",
    "client = OpenAI(api_key=api_key)",
    "login(user, password=password)",
    "token = args.token",
    "password: SecretStr",
    "API_KEY = os.environ['API_KEY']",
    "API_KEY=os.environ['API_KEY']",
    "tokenizer.pad_token = tokenizer.eos_token",
    "if token == 'abcdefgh':",
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_secret_shapes_are_masked(text, expected):
    assert mask_text(text) == expected
    assert mask_bytes(text.encode(), code=True) == expected.encode()  # the snapshot masks literals too


@pytest.mark.parametrize(("text", "expected"), MASKED_IN_TEXT)
def test_bare_words_are_masked_in_text_only(text, expected):
    assert mask_text(text) == expected
    assert mask_bytes(text.encode(), code=True) == text.encode()


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_text_is_kept(text):
    assert mask_text(text) == text


@pytest.mark.parametrize("text", CODE_KEPT)
def test_code_expressions_are_kept_in_the_snapshot(text):
    assert mask_bytes(text.encode(), code=True) == text.encode()


def test_env_style_literal_is_masked_in_code():
    assert mask_bytes(b"DB_PASSWORD=hunter2x\n", code=True) == b"DB_PASSWORD=***\n"
    assert mask_bytes(b'SECRET_KEY = "django-insecure-abc123"\n', code=True) == b'SECRET_KEY = "***"\n'


def test_values_are_masked_everywhere_and_collected():
    found: set[str] = set()
    text = "conn tok123secret and again tok123secret; see https://a:pw9@h"
    assert mask_text(text, {"tok123secret"}, found=found) == "conn *** and again ***; see https://a:***@h"
    assert found == {"tok123secret", "pw9"}


def test_overlapping_secrets_become_one_mask():
    assert mask_text("PASSWORD=postgres://u:pw@h", {"postgres://u:pw@h"}) == "PASSWORD=***"


def test_secret_names_and_env_values():
    for name in ("API_TOKEN", "--db-password", "aws_secret_access_key", "--hf-auth", "--passphrase", "my.key",
                 "SESSION_COOKIE"):
        assert is_secret_name(name), name
    for name in ("author", "XAUTHORITY", "alpha", "epochs"):
        assert not is_secret_name(name), name
    env = {"MY_API_TOKEN": "tok123secret", "USE_TOKEN": "true", "TOKEN_LIMIT": "4096", "SHORT_KEY": "abc",
           "HOME": "/root"}
    assert secret_values_from_env(env) == {"tok123secret"}


@pytest.mark.parametrize(("argv", "expected"), [
    (["train.py", "--token", "abc"], ["train.py", "--token", "***"]),
    (["train.py", "--api-key=abc"], ["train.py", "--api-key=***"]),
    (["train.py", "--passphrase", "abc", "--hf-auth", "def"], ["train.py", "--passphrase", "***", "--hf-auth", "***"]),
    (["train.py", "-k", "abc", "-p", "8080"], ["train.py", "-k", "***", "-p", "8080"]),
    (["curl", "-u", "ada:pw", "--user=bob:pw2", "-u", "nocolon"], ["curl", "-u", "ada:***", "--user=bob:***", "-u", "nocolon"]),
    (["curl", "-H", "Authorization: Bearer abcdef1"], ["curl", "-H", "Authorization: Bearer ***"]),
    (["push", "https://ada:pw@host/x"], ["push", "https://ada:***@host/x"]),
    (["train.py", "--conn", "tok123secret"], ["train.py", "--conn", "***"]),
])
def test_redact_command(argv, expected):
    assert redact_command(argv, environ={"MY_API_TOKEN": "tok123secret"})[0] == expected


def test_masking_is_fast():
    """gx run's output tails and the snapshot pay for masking: a 5 MB text takes well under a second
    (about 50 ms measured). CPU time, not wall time: other processes on a busy machine don't count."""
    line = b"+    step %d loss=0.25 token_count=17 https://example.com/x?page=2 key='value' secret_name='a'\n"
    data = b"".join(line % i for i in range(60_000))[: 5 * 1024 * 1024]
    start = time.process_time()
    mask_bytes(data, {"tok123secret"}, code=True)
    assert time.process_time() - start < 2.0


@pytest.mark.parametrize("unit", [b"sk-", b"API_TOKEN=abcdefgh\n", b"-----BEGIN RSA PRIVATE KEY-----\n", b"://u",
                                  b"Authorization: Bearer ", b"api_key: "])
def test_masking_stays_fast_on_hostile_text(unit):
    """Output is whatever the script prints: 4 MB of one repeated near-match stays within a few
    seconds of CPU (about 1 s at worst measured; a lookahead per 'sk-' once made it 6 s)."""
    data = unit * (4 * 2**20 // len(unit))
    start = time.process_time()
    mask_bytes(data, code=True)
    assert time.process_time() - start < 3.0
