# A simulated Exchange 2010 SP1 organisation: the Exchange Management Shell exactly where the
# generated scripts touch it, and nothing more.
#
# The organisation is a JSON file named by $env:OWA_SIM_ORG (see tests/common/exchange.rs for its
# shape). It is read when the module is imported and written back after every change, so a test
# reads the organisation after a run (even a run whose session died) instead of what a script
# printed.
#
# Why a module: in the Exchange 2010 shell the cmdlets are functions of the module that
# Import-PSSession builds for the remote session (implicit remoting). Functions of a module see the
# global scope and their own, never the calling script's: the script's $ErrorActionPreference,
# $WhatIfPreference and $ConfirmPreference do not reach them. Only parameters passed explicitly do
# (-ErrorAction, -WhatIf, -Confirm), and errors of the remote command are non-terminating unless
# -ErrorAction Stop (about_Preference_Variables, about_Scopes, about_Modules; Exchange team:
# "Exchange Management Shell and implicit remoting"). The functions below are module functions, so
# they behave the same way here.
#
# Parameter names, parameter sets and SupportsShouldProcess follow Microsoft's Exchange 2010
# cmdlet reference (technet "Exchange 2010 cmdlets": Get-ExchangeServer, Get-ExchangeCertificate,
# Get-OwaVirtualDirectory, Set-OwaVirtualDirectory, Get-OwaMailboxPolicy). Parameters these
# scripts never pass are left out: a call that uses one fails here, which a test then shows.
# Parameters are declared without types (except switches), as implicit-remoting proxy functions
# declare them; the value reaches the "server" as given and is bound to the Exchange type there.

Set-StrictMode -Version 2.0

$script:OrgPath = $env:OWA_SIM_ORG
if (-not $script:OrgPath) {
    throw 'OWA_SIM_ORG does not name the simulated organisation (a JSON file).'
}
$script:Org = Get-Content -LiteralPath $script:OrgPath -Raw | ConvertFrom-Json
$script:DieAfter = $null

# ---------------------------------------------------------------------------------------------
# Bookkeeping

function Save-SimOrganization {
    $json = $script:Org | ConvertTo-Json -Depth 20
    $temp = $script:OrgPath + '.tmp'
    [System.IO.File]::WriteAllText($temp, $json)
    Move-Item -LiteralPath $temp -Destination $script:OrgPath -Force
}

function Add-SimEvent {
    param([string] $Kind, [hashtable] $Data)
    $event = [ordered]@{ Seq = @($script:Org.Events).Count + 1; Clock = [int] $script:Org.Clock; Kind = $Kind }
    foreach ($key in $Data.Keys) { $event[$key] = $Data[$key] }
    $script:Org.Events = @($script:Org.Events) + @([pscustomobject] $event)
    Save-SimOrganization
}

function Get-SimFault {
    # The first fault for this operation and server that has uses left; using it counts.
    param([string] $Operation, [string] $Server)
    foreach ($fault in @($script:Org.Faults)) {
        if ($fault.Operation -ne $Operation) { continue }
        if ($fault.Server -and ($fault.Server -ne $Server)) { continue }
        if ($fault.PSObject.Properties['Times']) {
            if ([int] $fault.Times -le 0) { continue }
            $fault.Times = [int] $fault.Times - 1
        }
        return $fault
    }
    return $null
}

function Write-SimError {
    # Exchange writes a non-terminating error; the caller's -ErrorAction decides what it does.
    param($Cmdlet, [string] $Message, [string] $Category = 'NotSpecified', $Target = $null)
    $exception = New-Object System.InvalidOperationException $Message
    $record = New-Object System.Management.Automation.ErrorRecord $exception, 'SimulatedExchange', ([System.Management.Automation.ErrorCategory] $Category), $Target
    $Cmdlet.WriteError($record)
}

function Invoke-SimFault {
    # Returns $true when a fault fired (its error written); a 'die' fault ends the session after
    # the operation, which the caller performs first.
    param($Cmdlet, [string] $Operation, [string] $Server)
    $fault = Get-SimFault -Operation $Operation -Server $Server
    if (-not $fault) { return $false }
    if ($fault.Effect -eq 'Die') {
        $script:DieAfter = $fault
        return $false
    }
    Save-SimOrganization
    Write-SimError -Cmdlet $Cmdlet -Message ([string] $fault.Message) -Target $Server
    return $true
}

function Stop-SimSessionIfDying {
    if ($script:DieAfter) {
        Add-SimEvent -Kind 'SessionDied' -Data @{ Operation = [string] $script:DieAfter.Operation; Server = [string] $script:DieAfter.Server }
        # The remote session is gone and the shell with it (a lost connection, a closed window):
        # nothing after this point runs.
        [Environment]::Exit(254)
    }
}

function Get-SimDomainController {
    param([string] $DomainController)
    if ($DomainController) {
        $known = @($script:Org.DomainControllers | Where-Object { $_.Name -eq $DomainController })
        if ($known.Count -eq 0) {
            throw "The domain controller '$DomainController' is not available."
        }
        return $known[0].Name
    }
    return [string] $script:Org.ShellDomainController
}

function Get-SimLag {
    param([string] $DomainController)
    foreach ($dc in @($script:Org.DomainControllers)) {
        if ($dc.Name -eq $DomainController) { return [int] $dc.LagSeconds }
    }
    return 0
}

function Get-SimServer {
    param([string] $Name)
    $wanted = ([string] $Name).Split('.')[0]
    foreach ($server in @($script:Org.Servers)) {
        if ($server.Name -eq $wanted) { return $server }
    }
    return $null
}

function Get-SimValues {
    # What one domain controller returns for a virtual directory: the latest write made on it,
    # or made elsewhere at least its replication lag ago.
    param($VirtualDirectory, [string] $DomainController)
    $lag = Get-SimLag -DomainController $DomainController
    $seen = $null
    foreach ($write in @($VirtualDirectory.Writes)) {
        if (($write.DomainController -eq $DomainController) -or ($write.DomainController -eq '*') -or
            ([int] $write.Clock + $lag -le [int] $script:Org.Clock)) {
            $seen = $write.Values
        }
    }
    return $seen
}

function Find-SimVirtualDirectory {
    param([string] $Identity)
    foreach ($vdir in @($script:Org.VirtualDirectories)) {
        if ($vdir.Identity -eq $Identity) { return $vdir }
    }
    return $null
}

function New-SimVirtualDirectoryObject {
    param($VirtualDirectory, $Values)
    # Deserialized Microsoft.Exchange.Management.SystemConfigurationTasks.ADOwaVirtualDirectory:
    # enums and ADObjectIds arrive as their text, booleans as booleans.
    $object = New-Object PSObject
    $object.PSObject.TypeNames.Insert(0, 'Deserialized.Microsoft.Exchange.Data.Directory.SystemConfiguration.ADOwaVirtualDirectory')
    $object | Add-Member NoteProperty 'Identity' ([string] $VirtualDirectory.Identity)
    $object | Add-Member NoteProperty 'Name' ([string] ($VirtualDirectory.Identity.Split('\')[1]))
    $object | Add-Member NoteProperty 'Server' ([string] $VirtualDirectory.Server)
    $object | Add-Member NoteProperty 'OwaVersion' 'Exchange2010'
    $object | Add-Member NoteProperty 'ExternalUrl' $VirtualDirectory.ExternalUrl
    $object | Add-Member NoteProperty 'InstantMessagingServerName' ([string] $Values.InstantMessagingServerName)
    $object | Add-Member NoteProperty 'InstantMessagingCertificateThumbprint' ([string] $Values.InstantMessagingCertificateThumbprint)
    $object | Add-Member NoteProperty 'InstantMessagingEnabled' ([bool] $Values.InstantMessagingEnabled)
    $object | Add-Member NoteProperty 'InstantMessagingType' ([string] $Values.InstantMessagingType)
    # Exchange 2010 SP2 added CrossSiteRedirectType (Manual by default, or Silent).
    $server = Get-SimServer -Name $VirtualDirectory.Server
    if ($server -and ([version] ([string] $server.Version + '.0') -ge [version] '14.2.0')) {
        $redirect = 'Manual'
        if ($Values.PSObject.Properties['CrossSiteRedirectType'] -and $Values.CrossSiteRedirectType) {
            $redirect = [string] $Values.CrossSiteRedirectType
        }
        $object | Add-Member NoteProperty 'CrossSiteRedirectType' $redirect
    }
    return $object
}

function Get-SimThumbprint {
    # The organisation gives a certificate by its DER (Der, base64) or by its thumbprint alone.
    param($Certificate)
    if ($Certificate.PSObject.Properties['Der'] -and $Certificate.Der) {
        $raw = [Convert]::FromBase64String([string] $Certificate.Der)
        return (New-Object System.Security.Cryptography.X509Certificates.X509Certificate2 (, $raw)).Thumbprint
    }
    return [string] $Certificate.Thumbprint
}

function New-SimCertificateObject {
    # Deserialized Microsoft.Exchange.Management.SystemConfigurationTasks.ExchangeCertificate, as
    # Get-ExchangeCertificate returns it through implicit remoting: the X509Certificate2
    # properties (Issuer and Subject as Windows prints them, RawData the DER), Exchange's own
    # (HasPrivateKey, Services, IsSelfSigned, Identity SERVER\THUMBPRINT), and PSComputerName,
    # which is the host of the remote session, not the server asked about.
    param($Certificate, $Server)
    $object = New-Object PSObject
    $object.PSObject.TypeNames.Insert(0, 'Deserialized.Microsoft.Exchange.Management.SystemConfigurationTasks.ExchangeCertificate')
    $thumbprint = Get-SimThumbprint -Certificate $Certificate
    $object | Add-Member NoteProperty 'Thumbprint' $thumbprint
    $object | Add-Member NoteProperty 'Identity' ($Server.Name + '\' + $thumbprint)
    $object | Add-Member NoteProperty 'HasPrivateKey' ([bool] $Certificate.HasPrivateKey)
    if ($Certificate.PSObject.Properties['Der'] -and $Certificate.Der) {
        $raw = [Convert]::FromBase64String([string] $Certificate.Der)
        $x509 = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2 (, $raw)
        $object | Add-Member NoteProperty 'Subject' $x509.Subject
        $object | Add-Member NoteProperty 'Issuer' $x509.Issuer
        $object | Add-Member NoteProperty 'SerialNumber' $x509.SerialNumber
        $object | Add-Member NoteProperty 'NotBefore' $x509.NotBefore.ToUniversalTime()
        $object | Add-Member NoteProperty 'NotAfter' $x509.NotAfter.ToUniversalTime()
        $object | Add-Member NoteProperty 'IsSelfSigned' ($x509.Subject -eq $x509.Issuer)
        $object | Add-Member NoteProperty 'FriendlyName' ([string] $Certificate.FriendlyName)
        $object | Add-Member NoteProperty 'Services' ([string] $Certificate.Services)
        $object | Add-Member NoteProperty 'RawData' $raw
    }
    else {
        # Given by its properties alone (no DER): what the organisation file says.
        $object | Add-Member NoteProperty 'Subject' ([string] $Certificate.Subject)
        foreach ($name in @('Issuer', 'Services', 'FriendlyName')) {
            $value = ''
            if ($Certificate.PSObject.Properties[$name]) { $value = [string] $Certificate.$name }
            $object | Add-Member NoteProperty $name $value
        }
        $notAfter = [datetime] '2099-01-01'
        if ($Certificate.PSObject.Properties['NotAfter']) { $notAfter = [datetime] $Certificate.NotAfter }
        $object | Add-Member NoteProperty 'NotAfter' $notAfter
        $object | Add-Member NoteProperty 'IsSelfSigned' ([bool] ($Certificate.PSObject.Properties['IsSelfSigned'] -and $Certificate.IsSelfSigned))
    }
    $object | Add-Member NoteProperty 'PSComputerName' ([string] (Get-SimServer -Name $script:Org.ShellServer).Fqdn)
    return $object
}

function Test-SimServerReachable {
    param($Cmdlet, [string] $Server, [string] $Operation)
    $known = Get-SimServer -Name $Server
    if (-not $known) {
        Write-SimError -Cmdlet $Cmdlet -Category 'ObjectNotFound' -Target $Server -Message "The operation couldn't be performed because object '$Server' couldn't be found on '$($script:Org.ShellDomainController)'."
        return $null
    }
    return $known
}

# ---------------------------------------------------------------------------------------------
# Exchange cmdlets

function Get-ExchangeServer {
    # Exchange 2010: Get-ExchangeServer [[-Identity] <ServerIdParameter>] [-Domain <Fqdn>]
    #   [-DomainController <Fqdn>] [-Status]. -Status adds CurrentDomainControllers,
    #   CurrentGlobalCatalogs and CurrentConfigDomainController, read from the server itself.
    [CmdletBinding(DefaultParameterSetName = 'Identity')]
    param(
        [Parameter(ParameterSetName = 'Identity', Position = 0, ValueFromPipeline = $true)]
        $Identity,
        [Parameter(ParameterSetName = 'Domain')]
        $Domain,
        $DomainController,
        [switch] $Status
    )
    process {
        $null = Get-SimDomainController -DomainController $DomainController
        $servers = @($script:Org.Servers)
        if ($Identity) {
            $one = Test-SimServerReachable -Cmdlet $PSCmdlet -Server ([string] $Identity) -Operation 'Get-ExchangeServer'
            if (-not $one) { return }
            $servers = @($one)
        }
        foreach ($server in $servers) {
            if (Invoke-SimFault -Cmdlet $PSCmdlet -Operation 'Get-ExchangeServer' -Server $server.Name) { continue }
            if ($Status -and (Invoke-SimFault -Cmdlet $PSCmdlet -Operation 'Get-ExchangeServer -Status' -Server $server.Name)) { continue }
            $version = New-Object PSObject
            $text = 'Version ' + $server.Version + ' (Build ' + $server.Build + ')'
            $version | Add-Member ScriptMethod 'ToString' ([scriptblock]::Create("'$text'")) -Force
            $object = New-Object PSObject
            $object | Add-Member NoteProperty 'Name' ([string] $server.Name)
            $object | Add-Member NoteProperty 'Identity' ([string] $server.Name)
            $object | Add-Member NoteProperty 'Fqdn' ([string] $server.Fqdn)
            $object | Add-Member NoteProperty 'Site' ('contoso.com/Configuration/Sites/' + $server.Site)
            $object | Add-Member NoteProperty 'AdminDisplayVersion' $version
            $object | Add-Member NoteProperty 'IsClientAccessServer' ([bool] ($server.Roles -contains 'ClientAccess'))
            $object | Add-Member NoteProperty 'IsMailboxServer' ([bool] ($server.Roles -contains 'Mailbox'))
            $object | Add-Member NoteProperty 'ServerRole' ([string] ($server.Roles -join ', '))
            if ($Status) {
                $configDc = [string] $server.ConfigDomainController
                if (-not $configDc) { $configDc = [string] $script:Org.ShellDomainController }
                $object | Add-Member NoteProperty 'CurrentConfigDomainController' $configDc
                $object | Add-Member NoteProperty 'CurrentDomainControllers' @($configDc)
                $object | Add-Member NoteProperty 'CurrentGlobalCatalogs' @($configDc)
            }
            $object
        }
    }
}

function Get-ExchangeCertificate {
    # Exchange 2010: Get-ExchangeCertificate [[-Identity] <ExchangeCertificateIdParameter>]
    #   | [-Thumbprint <String>] [-Server <ServerIdParameter>] | -Instance <X509Certificate2>,
    #   [-DomainController <Fqdn>].
    [CmdletBinding(DefaultParameterSetName = 'Thumbprint')]
    param(
        [Parameter(ParameterSetName = 'Identity', Position = 0, ValueFromPipeline = $true)]
        $Identity,
        [Parameter(ParameterSetName = 'Thumbprint', Position = 0)]
        $Thumbprint,
        [Parameter(ParameterSetName = 'Thumbprint')]
        $Server,
        $DomainController
    )
    process {
        $null = Get-SimDomainController -DomainController $DomainController
        $name = [string] $Server
        if (-not $name) { $name = [string] $script:Org.ShellServer }
        $host_ = Test-SimServerReachable -Cmdlet $PSCmdlet -Server $name -Operation 'Get-ExchangeCertificate'
        if (-not $host_) { return }
        if (Invoke-SimFault -Cmdlet $PSCmdlet -Operation 'Get-ExchangeCertificate' -Server $host_.Name) { return }
        $found = @($script:Org.Certificates | Where-Object {
                ($_.Server -eq $host_.Name) -and ((-not $Thumbprint) -or ((Get-SimThumbprint -Certificate $_) -eq [string] $Thumbprint))
            })
        if ($Thumbprint -and ($found.Count -eq 0)) {
            Write-SimError -Cmdlet $PSCmdlet -Category 'ObjectNotFound' -Target $Thumbprint -Message "The certificate with thumbprint $Thumbprint was not found."
            return
        }
        foreach ($certificate in $found) {
            New-SimCertificateObject -Certificate $certificate -Server $host_
        }
    }
}

function Get-OwaVirtualDirectory {
    # Exchange 2010: Get-OwaVirtualDirectory [[-Identity] <VirtualDirectoryIdParameter>]
    #   | -Server <ServerIdParameter>, [-ADPropertiesOnly] [-DomainController <Fqdn>].
    [CmdletBinding(DefaultParameterSetName = 'Identity')]
    param(
        [Parameter(ParameterSetName = 'Identity', Position = 0, ValueFromPipeline = $true)]
        $Identity,
        [Parameter(ParameterSetName = 'Server', Mandatory = $true)]
        $Server,
        [switch] $ADPropertiesOnly,
        $DomainController
    )
    process {
        $dc = Get-SimDomainController -DomainController $DomainController
        $vdirs = @($script:Org.VirtualDirectories)
        if ($PSCmdlet.ParameterSetName -eq 'Server') {
            $one = Test-SimServerReachable -Cmdlet $PSCmdlet -Server ([string] $Server) -Operation 'Get-OwaVirtualDirectory'
            if (-not $one) { return }
            $vdirs = @($vdirs | Where-Object { $_.Server -eq $one.Name })
        }
        elseif ($Identity) {
            $vdir = Find-SimVirtualDirectory -Identity ([string] $Identity)
            if (-not $vdir) {
                Write-SimError -Cmdlet $PSCmdlet -Category 'ObjectNotFound' -Target $Identity -Message "The operation couldn't be performed because object '$Identity' couldn't be found on '$dc'."
                return
            }
            $vdirs = @($vdir)
        }
        foreach ($vdir in $vdirs) {
            if (Invoke-SimFault -Cmdlet $PSCmdlet -Operation 'Get-OwaVirtualDirectory' -Server $vdir.Server) { continue }
            Add-SimEvent -Kind 'Read' -Data @{ Identity = [string] $vdir.Identity; DomainController = $dc }
            New-SimVirtualDirectoryObject -VirtualDirectory $vdir -Values (Get-SimValues -VirtualDirectory $vdir -DomainController $dc)
        }
    }
}

function Set-OwaVirtualDirectory {
    # Exchange 2010 SP1: Set-OwaVirtualDirectory [-Identity] <VirtualDirectoryIdParameter>
    #   [-InstantMessagingServerName <String>] [-InstantMessagingCertificateThumbprint <String>]
    #   [-InstantMessagingEnabled <$true|$false>] [-InstantMessagingType <None|Ocs>]
    #   [-DomainController <Fqdn>] [-Confirm] [-WhatIf] (and many more this script never sets).
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipeline = $true)]
        $Identity,
        $InstantMessagingServerName,
        $InstantMessagingCertificateThumbprint,
        $InstantMessagingEnabled,
        $InstantMessagingType,
        $CrossSiteRedirectType,
        $DomainController
    )
    process {
        $dc = Get-SimDomainController -DomainController $DomainController
        $vdir = Find-SimVirtualDirectory -Identity ([string] $Identity)
        if (-not $vdir) {
            Write-SimError -Cmdlet $PSCmdlet -Category 'ObjectNotFound' -Target $Identity -Message "The operation couldn't be performed because object '$Identity' couldn't be found on '$dc'."
            return
        }
        if (Invoke-SimFault -Cmdlet $PSCmdlet -Operation 'Set-OwaVirtualDirectory' -Server $vdir.Server) { return }
        $current = Get-SimValues -VirtualDirectory $vdir -DomainController $dc
        $values = [ordered]@{
            InstantMessagingServerName = $current.InstantMessagingServerName
            InstantMessagingCertificateThumbprint = $current.InstantMessagingCertificateThumbprint
            InstantMessagingEnabled = [bool] $current.InstantMessagingEnabled
            InstantMessagingType = [string] $current.InstantMessagingType
        }
        if ($current.PSObject.Properties['CrossSiteRedirectType']) {
            $values.CrossSiteRedirectType = [string] $current.CrossSiteRedirectType
        }
        if ($PSBoundParameters.ContainsKey('CrossSiteRedirectType')) {
            # Background 004: Exchange 2010 SP2's parameter, Manual (the default) or Silent.
            $server = Get-SimServer -Name $vdir.Server
            if ([version] ([string] $server.Version + '.0') -lt [version] '14.2.0') {
                Write-SimError -Cmdlet $PSCmdlet -Message "CrossSiteRedirectType can't be set on $($vdir.Identity): its server runs a version of Exchange before Exchange 2010 SP2."
                return
            }
            $redirect = @('Manual', 'Silent') | Where-Object { $_ -eq [string] $CrossSiteRedirectType }
            if (-not $redirect) {
                Write-SimError -Cmdlet $PSCmdlet -Category 'InvalidArgument' -Message "Cannot process argument transformation on parameter 'CrossSiteRedirectType'. Specify one of the following enumerator names and try again: Manual, Silent"
                return
            }
            $values.CrossSiteRedirectType = $redirect
        }
        # Bound on the server as Exchange binds them. The two names are String properties whose
        # schema default is String.Empty (ADOwaVirtualDirectorySchema): cleared, they read back
        # as ''. Exchange's documented way to clear a value is $null ("To clear the value of this
        # parameter, use the value $null"); whether '' is accepted for these two is not
        # documented, so the event records how each was given and a test can insist on $null.
        $given = @{}
        foreach ($name in @('InstantMessagingServerName', 'InstantMessagingCertificateThumbprint')) {
            if ($PSBoundParameters.ContainsKey($name)) {
                $value = $PSBoundParameters[$name]
                if ($null -eq $value) {
                    $given[$name] = 'null'
                    $values[$name] = ''
                }
                elseif ([string] $value -eq '') {
                    $given[$name] = 'empty'
                    $values[$name] = ''
                }
                else {
                    $given[$name] = 'value'
                    $values[$name] = [string] $value
                }
            }
        }
        if ($PSBoundParameters.ContainsKey('InstantMessagingEnabled')) {
            if ($InstantMessagingEnabled -isnot [bool]) {
                Write-SimError -Cmdlet $PSCmdlet -Category 'InvalidArgument' -Message "Cannot process argument transformation on parameter 'InstantMessagingEnabled'. Cannot convert value '$InstantMessagingEnabled' to type 'System.Boolean'."
                return
            }
            $values.InstantMessagingEnabled = $InstantMessagingEnabled
        }
        if ($PSBoundParameters.ContainsKey('InstantMessagingType')) {
            $type = @('None', 'Ocs') | Where-Object { $_ -eq [string] $InstantMessagingType }
            if (-not $type) {
                Write-SimError -Cmdlet $PSCmdlet -Category 'InvalidArgument' -Message "Cannot process argument transformation on parameter 'InstantMessagingType'. Unable to match the identifier name $InstantMessagingType to a valid enumerator name. Specify one of the following enumerator names and try again: None, Ocs"
                return
            }
            $values.InstantMessagingType = $type
        }
        if (-not $PSCmdlet.ShouldProcess([string] $Identity, 'Set OWA virtual directory')) { return }
        $vdir.Writes = @($vdir.Writes) + @([pscustomobject] @{ Clock = [int] $script:Org.Clock; DomainController = $dc; Values = [pscustomobject] $values })
        $vdir.Current = [pscustomobject] $values
        Add-SimEvent -Kind 'Set' -Data @{ Identity = [string] $vdir.Identity; Server = [string] $vdir.Server; DomainController = $dc; Values = [pscustomobject] $values; Given = [pscustomobject] $given }
        Stop-SimSessionIfDying
    }
}

function Get-OwaMailboxPolicy {
    # Exchange 2010: Get-OwaMailboxPolicy [[-Identity] <MailboxPolicyIdParameter>]
    #   [-DomainController <Fqdn>] [-Organization <OrganizationIdParameter>].
    [CmdletBinding()]
    param(
        [Parameter(Position = 0, ValueFromPipeline = $true)]
        $Identity,
        $DomainController,
        $Organization
    )
    process {
        $null = Get-SimDomainController -DomainController $DomainController
        if (Invoke-SimFault -Cmdlet $PSCmdlet -Operation 'Get-OwaMailboxPolicy' -Server '') { return }
        foreach ($policy in @($script:Org.MailboxPolicies)) {
            if ($Identity -and ($policy.Name -ne [string] $Identity)) { continue }
            $object = New-Object PSObject
            $object | Add-Member NoteProperty 'Name' ([string] $policy.Name)
            $object | Add-Member NoteProperty 'Identity' ([string] $policy.Name)
            $object | Add-Member NoteProperty 'InstantMessagingEnabled' ([bool] $policy.InstantMessagingEnabled)
            $type = 'None'
            if ($policy.PSObject.Properties['InstantMessagingType'] -and $policy.InstantMessagingType) { $type = [string] $policy.InstantMessagingType }
            $object | Add-Member NoteProperty 'InstantMessagingType' $type
            $object | Add-Member NoteProperty 'IsDefault' ([bool] $policy.IsDefault)
            $object
        }
    }
}

function Set-OwaMailboxPolicy {
    # Exchange 2013/2016: Set-OwaMailboxPolicy [-Identity] <MailboxPolicyIdParameter>
    #   [-InstantMessagingEnabled <Boolean>] [-InstantMessagingType <None|Ocs>] [-DomainController <Fqdn>].
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipeline = $true)]
        $Identity,
        $InstantMessagingEnabled,
        $InstantMessagingType,
        $DomainController
    )
    process {
        $null = Get-SimDomainController -DomainController $DomainController
        $policy = @($script:Org.MailboxPolicies | Where-Object { $_.Name -eq [string] $Identity })
        if ($policy.Count -eq 0) {
            Write-SimError -Cmdlet $PSCmdlet -Category 'ObjectNotFound' -Message "The operation couldn't be performed because object '$Identity' couldn't be found on '$($script:Org.ShellDomainController)'."
            return
        }
        if (Invoke-SimFault -Cmdlet $PSCmdlet -Operation 'Set-OwaMailboxPolicy' -Server '') { return }
        if (-not $PSCmdlet.ShouldProcess([string] $Identity, 'Set OWA mailbox policy')) { return }
        if ($PSBoundParameters.ContainsKey('InstantMessagingEnabled')) {
            $policy[0].InstantMessagingEnabled = [bool] $InstantMessagingEnabled
        }
        if ($PSBoundParameters.ContainsKey('InstantMessagingType')) {
            $type = @('None', 'Ocs') | Where-Object { $_ -eq [string] $InstantMessagingType }
            if (-not $type) {
                Write-SimError -Cmdlet $PSCmdlet -Category 'InvalidArgument' -Message "Cannot process argument transformation on parameter 'InstantMessagingType'."
                return
            }
            $policy[0] | Add-Member NoteProperty 'InstantMessagingType' $type -Force
        }
        Add-SimEvent -Kind 'SetPolicy' -Data @{ Identity = [string] $Identity }
    }
}

# Setting overrides (Exchange 2016 and later): New/Get/Set/Remove-SettingOverride. Set replaces
# the whole parameter list (Microsoft's cmdlet reference).
function Get-SettingOverride {
    [CmdletBinding()]
    param(
        [Parameter(Position = 0)] $Identity,
        $DomainController
    )
    $null = Get-SimDomainController -DomainController $DomainController
    foreach ($override in @($script:Org.SettingOverrides)) {
        if ($Identity -and ($override.Name -ne [string] $Identity)) { continue }
        $object = New-Object PSObject
        foreach ($name in @('Name', 'Component', 'Section', 'Reason')) {
            $object | Add-Member NoteProperty $name ([string] $override.$name)
        }
        $object | Add-Member NoteProperty 'Parameters' @($override.Parameters | ForEach-Object { [string] $_ })
        $object | Add-Member NoteProperty 'Server' @($override.Server | ForEach-Object { [string] $_ })
        $object
    }
}

function New-SettingOverride {
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
    param(
        [Parameter(Mandatory = $true, Position = 0)] $Name,
        [Parameter(Mandatory = $true)] $Component,
        [Parameter(Mandatory = $true)] $Section,
        [Parameter(Mandatory = $true)] $Parameters,
        [Parameter(Mandatory = $true)] $Reason,
        $Server,
        $MinVersion,
        $MaxVersion,
        $DomainController
    )
    if (@($script:Org.SettingOverrides | Where-Object { $_.Name -eq [string] $Name }).Count -gt 0) {
        Write-SimError -Cmdlet $PSCmdlet -Message "The setting override '$Name' already exists."
        return
    }
    if (-not $PSCmdlet.ShouldProcess([string] $Name, 'New setting override')) { return }
    $override = [pscustomobject] @{ Name = [string] $Name; Component = [string] $Component; Section = [string] $Section; Parameters = @($Parameters | ForEach-Object { [string] $_ }); Reason = [string] $Reason; Server = @($Server | ForEach-Object { [string] $_ }) }
    $script:Org.SettingOverrides = @($script:Org.SettingOverrides) + @($override)
    Add-SimEvent -Kind 'NewSettingOverride' -Data @{ Identity = [string] $Name }
}

function Set-SettingOverride {
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
    param(
        [Parameter(Mandatory = $true, Position = 0)] $Identity,
        $Parameters,
        $Reason,
        $Server,
        $DomainController
    )
    $override = @($script:Org.SettingOverrides | Where-Object { $_.Name -eq [string] $Identity })
    if ($override.Count -eq 0) {
        Write-SimError -Cmdlet $PSCmdlet -Category 'ObjectNotFound' -Message "The operation couldn't be performed because object '$Identity' couldn't be found on '$($script:Org.ShellDomainController)'."
        return
    }
    if (-not $PSCmdlet.ShouldProcess([string] $Identity, 'Set setting override')) { return }
    if ($PSBoundParameters.ContainsKey('Parameters')) { $override[0].Parameters = @($Parameters | ForEach-Object { [string] $_ }) }
    if ($PSBoundParameters.ContainsKey('Reason')) { $override[0].Reason = [string] $Reason }
    Add-SimEvent -Kind 'SetSettingOverride' -Data @{ Identity = [string] $Identity }
}

function Remove-SettingOverride {
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]
    param(
        [Parameter(Mandatory = $true, Position = 0)] $Identity,
        $DomainController
    )
    if (-not $PSCmdlet.ShouldProcess([string] $Identity, 'Remove setting override')) { return }
    $script:Org.SettingOverrides = @($script:Org.SettingOverrides | Where-Object { $_.Name -ne [string] $Identity })
    Add-SimEvent -Kind 'RemoveSettingOverride' -Data @{ Identity = [string] $Identity }
}

# Exchange cmdlet reference, Get-ExchangeDiagnosticInfo: -Argument, -Component, -Process,
# -Server and -Unlimited; no -DomainController (a script that passes one fails, as here).
function Get-ExchangeDiagnosticInfo {
    [CmdletBinding()]
    param(
        $Server,
        $Process,
        $Component,
        $Argument,
        [switch] $Unlimited
    )
    Add-SimEvent -Kind 'DiagnosticInfo' -Data @{ Server = [string] $Server; Process = [string] $Process; Component = [string] $Component; Argument = [string] $Argument }
    [pscustomobject] @{ Result = '<Diagnostics />' }
}

# ---------------------------------------------------------------------------------------------
# Lync Server 2013 / Skype for Business Server 2015 Management Shell: the trusted application
# cmdlets (Lync Server cmdlet reference: New-CsTrustedApplicationPool, New-CsTrustedApplication-
# Computer, New-CsTrustedApplication, Enable-CsTopology). References print with their kind, as
# Lync prints them (Registrar:pool01.contoso.com, Site:1, TrustedApplicationPool:...).

function Get-SimLync {
    if (-not $script:Org.PSObject.Properties['Lync']) {
        throw 'The term ''Get-CsTrustedApplicationPool'' is not recognized: this is not the Lync Server Management Shell.'
    }
    return $script:Org.Lync
}

function Get-CsTrustedApplicationPool {
    [CmdletBinding()]
    param([Parameter(Position = 0)] $Identity)
    foreach ($pool in @((Get-SimLync).Pools)) {
        [pscustomobject] @{ Identity = 'TrustedApplicationPool:' + $pool.Fqdn; PoolFqdn = [string] $pool.Fqdn; Registrar = 'Registrar:' + $pool.Registrar; Site = 'Site:' + $pool.Site; Computers = @($pool.Computers) }
    }
}

function Get-CsTrustedApplicationComputer {
    [CmdletBinding()]
    param([Parameter(Position = 0)] $Identity)
    foreach ($pool in @((Get-SimLync).Pools)) {
        foreach ($computer in @($pool.Computers)) {
            [pscustomobject] @{ Identity = [string] $computer; Pool = 'TrustedApplicationPool:' + $pool.Fqdn }
        }
    }
}

function Get-CsTrustedApplication {
    [CmdletBinding()]
    param([Parameter(Position = 0)] $Identity)
    foreach ($application in @((Get-SimLync).Applications)) {
        [pscustomobject] @{ Identity = $application.Pool + '/urn:application:' + $application.ApplicationId.ToLowerInvariant(); ApplicationId = 'urn:application:' + $application.ApplicationId.ToLowerInvariant(); TrustedApplicationPoolFqdn = 'TrustedApplicationPool:' + $application.Pool; Port = [int] $application.Port }
    }
}

function New-CsTrustedApplicationPool {
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
    param(
        [Parameter(Mandatory = $true, Position = 0)] $Identity,
        [Parameter(Mandatory = $true)] $Registrar,
        $Site,
        $ComputerFqdn,
        [Nullable[bool]] $RequiresReplication,
        [Nullable[bool]] $ThrottleAsServer,
        [Nullable[bool]] $TreatAsAuthenticated
    )
    $lync = Get-SimLync
    if (-not $PSCmdlet.ShouldProcess([string] $Identity, 'New trusted application pool')) { return }
    $lync.Pools = @($lync.Pools) + @([pscustomobject] @{ Fqdn = [string] $Identity; Registrar = [string] $Registrar; Site = [string] $Site; Computers = @([string] $ComputerFqdn); RequiresReplication = $RequiresReplication; ThrottleAsServer = $ThrottleAsServer; TreatAsAuthenticated = $TreatAsAuthenticated })
    Add-SimEvent -Kind 'NewTrustedApplicationPool' -Data @{ Identity = [string] $Identity }
}

function New-CsTrustedApplicationComputer {
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
    param(
        [Parameter(Mandatory = $true, Position = 0)] $Identity,
        [Parameter(Mandatory = $true)] $Pool
    )
    $lync = Get-SimLync
    $target = @($lync.Pools | Where-Object { $_.Fqdn -eq [string] $Pool })
    if ($target.Count -eq 0) { throw "Pool $Pool was not found." }
    if (-not $PSCmdlet.ShouldProcess([string] $Identity, 'New trusted application computer')) { return }
    $target[0].Computers = @($target[0].Computers) + @([string] $Identity)
    Add-SimEvent -Kind 'NewTrustedApplicationComputer' -Data @{ Identity = [string] $Identity; Pool = [string] $Pool }
}

function New-CsTrustedApplication {
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
    param(
        [Parameter(Mandatory = $true)] $ApplicationId,
        [Parameter(Mandatory = $true)] $TrustedApplicationPoolFqdn,
        [Parameter(Mandatory = $true)] [int] $Port
    )
    $lync = Get-SimLync
    if (-not $PSCmdlet.ShouldProcess([string] $TrustedApplicationPoolFqdn, 'New trusted application')) { return }
    $lync.Applications = @($lync.Applications) + @([pscustomobject] @{ ApplicationId = [string] $ApplicationId; Pool = [string] $TrustedApplicationPoolFqdn; Port = $Port })
    Add-SimEvent -Kind 'NewTrustedApplication' -Data @{ Pool = [string] $TrustedApplicationPoolFqdn; Port = $Port }
}

function Enable-CsTopology {
    [CmdletBinding(SupportsShouldProcess = $true)]
    param()
    $null = Get-SimLync
    Add-SimEvent -Kind 'EnableTopology' -Data @{}
}

# ---------------------------------------------------------------------------------------------
# Windows outside Exchange: what the scripts reach through one small function each.

function iisreset.exe {
    # iisreset <computer> /noforce: stops and starts IIS on that computer over RPC; a non-zero exit
    # code when it could not (e.g. a service would not stop without /force).
    $computer = [string] $args[0]
    $server = Get-SimServer -Name $computer
    Add-SimEvent -Kind 'RestartBegin' -Data @{ Server = $computer; How = 'iisreset'; Arguments = (@($args) -join ' ') }
    $fault = Get-SimFault -Operation 'iisreset' -Server $computer
    if ((-not $server) -or $fault) {
        Save-SimOrganization
        Write-Output "Restart attempt failed."
        Add-SimEvent -Kind 'RestartFailed' -Data @{ Server = $computer }
        $global:LASTEXITCODE = 1
        return
    }
    Add-SimEvent -Kind 'RestartEnd' -Data @{ Server = $computer; How = 'iisreset' }
    Write-Output "Attempting stop..."
    Write-Output "Internet services successfully stopped"
    Write-Output "Attempting start..."
    Write-Output "Internet services successfully restarted"
    $global:LASTEXITCODE = 0
}

function Resolve-SimSharePath {
    # \\HOST\D$\REST on a simulated server -> the file that stands for it under $env:OWA_SIM_SHARES
    # (SERVER/D/REST), or '' when the administrative share cannot be reached (server down,
    # access denied). Any other path is not a share: $null.
    param([string] $Path)
    if ($Path -notmatch '^\\\\([^\\]+)\\([A-Za-z])\$\\(.*)$') {
        return $null
    }
    $server = Get-SimServer -Name $matches[1]
    $drive = $matches[2].ToUpperInvariant()
    $rest = $matches[3]
    if ((-not $server) -or (Get-SimFault -Operation 'share' -Server $server.Name) -or (Get-SimFault -Operation 'down' -Server $server.Name)) {
        return ''
    }
    return (Join-Path (Join-Path (Join-Path $env:OWA_SIM_SHARES $server.Name) $drive) ($rest -replace '\\', '/'))
}

function Test-Path {
    # The administrative shares of the simulated servers; every other path as usual.
    [CmdletBinding()]
    param(
        [Parameter(Position = 0)] [string[]] $Path,
        [string[]] $LiteralPath,
        [Microsoft.PowerShell.Commands.TestPathType] $PathType = 'Any'
    )
    $given = @(@($Path) + @($LiteralPath) | Where-Object { $_ })
    $mapped = Resolve-SimSharePath -Path ([string] $given[0])
    if ($null -eq $mapped) {
        return Microsoft.PowerShell.Management\Test-Path @PSBoundParameters
    }
    if (-not $mapped) {
        return $false
    }
    return Microsoft.PowerShell.Management\Test-Path -LiteralPath $mapped -PathType $PathType
}

function Copy-Item {
    [CmdletBinding(SupportsShouldProcess = $true)]
    param(
        [Parameter(Position = 0)] [string[]] $Path,
        [string[]] $LiteralPath,
        [Parameter(Position = 1)] [string] $Destination,
        [switch] $Force
    )
    $given = @(@($Path) + @($LiteralPath) | Where-Object { $_ })
    $mapped = Resolve-SimSharePath -Path ([string] $given[0])
    $target = Resolve-SimSharePath -Path $Destination
    if (($null -eq $mapped) -and ($null -eq $target)) {
        Microsoft.PowerShell.Management\Copy-Item @PSBoundParameters
        return
    }
    if ($null -eq $mapped) { $mapped = [string] $given[0] }
    if ($null -eq $target) { $target = $Destination }
    if ((-not $mapped) -or (-not $target) -or (-not (Microsoft.PowerShell.Management\Test-Path -LiteralPath $mapped))) {
        throw "Access to the path '$($given[0])' or '$Destination' is denied."
    }
    Microsoft.PowerShell.Management\Copy-Item -LiteralPath $mapped -Destination $target -Force:$Force -Confirm:$false -WhatIf:$false
    Add-SimEvent -Kind 'Copy' -Data @{ From = [string] $given[0]; To = $Destination }
}

function Invoke-SimShareRead {
    # Get-Item or Get-Content: on a simulated administrative share, the file behind it.
    param([string] $Command, [hashtable] $Bound)
    $given = @(@($Bound['Path']) + @($Bound['LiteralPath']) | Where-Object { $_ })
    $mapped = Resolve-SimSharePath -Path ([string] $given[0])
    if ($null -eq $mapped) {
        return & "Microsoft.PowerShell.Management\$Command" @Bound
    }
    if (-not $mapped) {
        throw "Access to the path '$($given[0])' is denied."
    }
    return & "Microsoft.PowerShell.Management\$Command" -LiteralPath $mapped
}

function Get-Item {
    [CmdletBinding()]
    param(
        [Parameter(Position = 0)] [string[]] $Path,
        [string[]] $LiteralPath
    )
    return Invoke-SimShareRead -Command 'Get-Item' -Bound $PSBoundParameters
}

function Get-Content {
    [CmdletBinding()]
    param(
        [Parameter(Position = 0)] [string[]] $Path,
        [string[]] $LiteralPath
    )
    return Invoke-SimShareRead -Command 'Get-Content' -Bound $PSBoundParameters
}

function reg.exe {
    # reg query \\HOST\HKLM\KEY /v NAME, through the Remote Registry service of HOST.
    $arguments = @($args)
    $target = [string] $arguments[1]
    $name = [string] $arguments[3]
    $global:LASTEXITCODE = 1
    if (($arguments[0] -ne 'query') -or ($target -notmatch '^\\\\([^\\]+)\\HKLM\\(.+)$') -or ($arguments[2] -ne '/v')) {
        Write-Output 'ERROR: Invalid syntax.'
        return
    }
    $server = Get-SimServer -Name $matches[1]
    $key = $matches[2]
    Add-SimEvent -Kind 'RegistryRead' -Data @{ Target = $target; Name = $name }
    if ((-not $server) -or (Get-SimFault -Operation 'down' -Server $server.Name) -or (Get-SimFault -Operation 'reg' -Server $server.Name)) {
        Save-SimOrganization
        Write-Output 'ERROR: The network path was not found.'
        return
    }
    $setupKey = 'SOFTWARE\Microsoft\ExchangeServer\v' + ([string] $server.Version).Split('.')[0] + '\Setup'
    if (($key -ne $setupKey) -or ($name -ne 'MsiInstallPath') -or (-not $server.InstallPath)) {
        Write-Output 'ERROR: The system was unable to find the specified registry key or value.'
        return
    }
    Write-Output ''
    Write-Output ('HKEY_LOCAL_MACHINE\' + $key)
    Write-Output ('    ' + $name + '    REG_SZ    ' + $server.InstallPath)
    Write-Output ''
    $global:LASTEXITCODE = 0
}

function Get-WmiObject {
    # Only the one query the scripts make: root\WebAdministration ApplicationPool by name.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)] $Class,
        $Namespace,
        $ComputerName,
        $Filter,
        $Authentication
    )
    if (Get-SimFault -Operation 'Get-WmiObject' -Server ([string] $ComputerName)) {
        Save-SimOrganization
        Write-SimError -Cmdlet $PSCmdlet -Message 'The RPC server is unavailable. (Exception from HRESULT: 0x800706BA)'
        return
    }
    if (($Namespace -ne 'root\WebAdministration') -or ($Class -ne 'ApplicationPool') -or ($Filter -ne "Name='MSExchangeOWAAppPool'")) {
        return
    }
    $pool = New-Object PSObject
    $pool | Add-Member NoteProperty 'Name' 'MSExchangeOWAAppPool'
    $pool | Add-Member NoteProperty 'PSComputerName' ([string] $ComputerName)
    $pool | Add-Member ScriptMethod 'Recycle' {
        Add-SimEvent -Kind 'RestartBegin' -Data @{ Server = [string] $this.PSComputerName; How = 'recycle' }
        Add-SimEvent -Kind 'RestartEnd' -Data @{ Server = [string] $this.PSComputerName; How = 'recycle' }
    }
    $pool
}

function Start-Sleep {
    # The clock replication waits read: advanced, never slept.
    [CmdletBinding()]
    param([Parameter(Position = 0)] [int] $Seconds)
    $script:Org.Clock = [int] $script:Org.Clock + $Seconds
    Add-SimEvent -Kind 'Sleep' -Data @{ Seconds = $Seconds }
}

Export-ModuleMember -Function @(
    'Get-ExchangeServer', 'Get-ExchangeCertificate', 'Get-OwaVirtualDirectory',
    'Set-OwaVirtualDirectory', 'Get-OwaMailboxPolicy', 'Set-OwaMailboxPolicy', 'Get-SettingOverride',
    'New-SettingOverride', 'Set-SettingOverride', 'Remove-SettingOverride', 'Get-ExchangeDiagnosticInfo',
    'Get-CsTrustedApplicationPool', 'Get-CsTrustedApplicationComputer', 'Get-CsTrustedApplication',
    'New-CsTrustedApplicationPool', 'New-CsTrustedApplicationComputer', 'New-CsTrustedApplication',
    'Enable-CsTopology',
    'iisreset.exe', 'reg.exe', 'Get-WmiObject',
    'Start-Sleep', 'Test-Path', 'Copy-Item', 'Get-Item', 'Get-Content'
)
