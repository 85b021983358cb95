#!/usr/bin/env python3
"""Writes tests/fixtures/collected/: what Collect-OwaImInputs.ps1 writes when it runs in the
simulated Contoso organisation before SP1 (tests/fixtures/organization/contoso.json, with the
web.config files of examples/contoso/configs on the servers' administrative shares).

Usage: scripts/make-collected-fixture.py     (python3, cargo, and PowerShell 7: the variable
       OWA_IM_MIGRATE_PWSH, else ../shared/pwsh/pwsh, else pwsh on PATH)

The collection script is the one the binary writes (`owa-im-migrate collect-script`); it runs
through tests/ps/Invoke-InSimulation.ps1 exactly as the tests run it. The new folder replaces
tests/fixtures/collected/ (its README.md and .gitattributes are kept) only once the script has
exited with 0.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TARGET = os.path.join(ROOT, "tests", "fixtures", "collected")
ORG = os.path.join(ROOT, "tests", "fixtures", "organization", "contoso.json")
KEEP = ("README.md", ".gitattributes")


def powershell():
    candidates = [os.environ.get("OWA_IM_MIGRATE_PWSH"),
                  os.path.join(os.path.dirname(ROOT), "shared", "pwsh", "pwsh"),
                  shutil.which("pwsh")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    sys.exit("no PowerShell: set OWA_IM_MIGRATE_PWSH")


def lay_out_shares(org, shares):
    """Each server's web.config where its administrative share shows
    <InstallPath>ClientAccess\\Owa\\web.config (SERVER/DRIVE/...)."""
    for server in org["Servers"]:
        drive, rest = server["InstallPath"].split(":\\", 1)
        folder = os.path.join(shares, server["Name"], drive.upper(),
                              *[p for p in rest.split("\\") if p], "ClientAccess", "Owa")
        os.makedirs(folder)
        shutil.copyfile(os.path.join(ROOT, server["WebConfig"]), os.path.join(folder, "web.config"))


def quote(text):
    return "'" + text.replace("'", "''") + "'"


def main():
    subprocess.run(["cargo", "build", "--quiet"], cwd=ROOT, check=True)
    binary = os.path.join(ROOT, "target", "debug", "owa-im-migrate")
    with tempfile.TemporaryDirectory() as work:
        org = json.load(open(ORG, encoding="utf-8"))
        shutil.copyfile(ORG, os.path.join(work, "organization.json"))
        lay_out_shares(org, os.path.join(work, "shares"))
        subprocess.run([binary, "collect-script", "--out", os.path.join(work, "out")], check=True,
                       env=dict(os.environ, SOURCE_DATE_EPOCH="1790000000"))
        collected = os.path.join(work, "collected")
        driver = os.path.join(ROOT, "tests", "ps", "Invoke-InSimulation.ps1")
        script = os.path.join(work, "out", "Collect-OwaImInputs.ps1")
        command = (f"& {quote(driver)} -Script {quote(script)} "
                   f"-Parameters @{{ 'Output' = {quote(collected)} }}; exit $LASTEXITCODE")
        env = dict(os.environ, OWA_SIM_ORG=os.path.join(work, "organization.json"),
                   OWA_SIM_SHARES=os.path.join(work, "shares"), NO_COLOR="1")
        run = subprocess.run([powershell(), "-NoProfile", "-NoLogo", "-NonInteractive", "-Command", command],
                             cwd=work, env=env)
        if run.returncode != 0:
            sys.exit(f"the collection script exited with {run.returncode}: {TARGET} left as it was")
        for name in os.listdir(TARGET):
            if name not in KEEP:
                path = os.path.join(TARGET, name)
                shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
        for name in os.listdir(collected):
            source = os.path.join(collected, name)
            target = os.path.join(TARGET, name)
            shutil.copytree(source, target) if os.path.isdir(source) else shutil.copyfile(source, target)
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
