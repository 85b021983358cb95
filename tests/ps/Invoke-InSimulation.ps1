# Runs one generated script in the simulated Exchange organisation, as an administrator runs it in
# the Exchange Management Shell: the shell has the Exchange cmdlets (SimulatedExchange.psm1, named
# by $env:OWA_SIM_ORG's organisation), the script is called with its parameters, and the process
# exits with the script's exit code. A terminating error that escapes the script exits with 99.
param(
    [Parameter(Mandatory = $true)] [string] $Script,
    [hashtable] $Parameters = @{}
)

$PSStyle.OutputRendering = 'PlainText'

Import-Module (Join-Path $PSScriptRoot 'SimulatedExchange.psm1') -Global -DisableNameChecking

$global:LASTEXITCODE = 0
try {
    & $Script @Parameters
}
catch {
    Write-Output ('UNCAUGHT: ' + $_.Exception.Message)
    exit 99
}
exit $LASTEXITCODE
