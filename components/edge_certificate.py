"""The Edge's certificate: ACM, DNS-validated, for the entity hostnames.

With ``settings.certificate_arn`` the Edge uses that certificate and nothing here runs. Otherwise ACM
issues one for ``hostnames`` by DNS validation, and the HTTPS listener waits
(``aws.acm.CertificateValidation``) until it is issued. Pass ``validation`` (a
:class:`~fintech_infra.wiring.ValidationZones`: each hostname's zone and the provider that may write there;
a cell builds it from the zones stack, :mod:`fintech_infra.dns_validation`) and the Edge writes the
validation CNAMEs itself, so one ``pulumi up`` completes. Without it the records are only exported
(``certificate_validation_records``) and the validation waits until someone publishes them: up to the
provider's create timeout (75 minutes), then the update fails. The policy pack refuses that
(``acm-validation-completes-in-stack``).

ACM gives a domain the same validation CNAME in every region of an account, so a cell's primary and DR
edges write the same record set; both write it with ``allow_overwrite`` (an UPSERT of the same value).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pulumi
import pulumi_aws as aws

from fintech_infra._naming import child, physical
from fintech_infra.wiring import ValidationZones

__all__ = ["dns_validated_certificate"]

ValidationOption = aws.acm.outputs.CertificateDomainValidationOption


def _option_for(hostname: str) -> Callable[[Sequence[ValidationOption]], ValidationOption]:
    def pick(options: Sequence[ValidationOption]) -> ValidationOption:
        return next(option for option in options if option.domain_name == hostname)

    return pick


def dns_validated_certificate(
    name: str, hostnames: Sequence[str], validation: ValidationZones | None, *, parent: pulumi.Resource
) -> tuple[pulumi.Output[str], pulumi.Output[list[dict[str, str]]]]:
    """An ACM certificate for ``hostnames``, validated by DNS: its ARN once issued, and the validation records.

    With ``validation`` the records are written in each hostname's zone; without, the validation waits until
    someone publishes the returned records.
    """
    certificate = aws.acm.Certificate(
        child(name, "certificate"),
        domain_name=hostnames[0],
        subject_alternative_names=list(hostnames[1:]) or None,
        validation_method="DNS",
        key_algorithm="EC_prime256v1",
        tags={},
        opts=pulumi.ResourceOptions(parent=parent),
    )
    validation_records = certificate.domain_validation_options.apply(
        lambda options: sorted(
            {
                (o.resource_record_name or "", o.resource_record_type or "", o.resource_record_value or "")
                for o in options
            }
        )
    ).apply(lambda records: [{"name": n, "type": t, "value": v} for n, t, v in records])
    fqdns: list[pulumi.Output[str]] | None = None
    if validation is not None:
        fqdns = []
        writer = pulumi.ResourceOptions(parent=parent, provider=validation.provider)
        # Keyed by hostname (never list position); SANs of one apex can share a record, hence allow_overwrite.
        for hostname in hostnames:
            option = certificate.domain_validation_options.apply(_option_for(hostname))
            record = aws.route53.Record(
                child(name, f"validation-{physical(hostname)}"),
                zone_id=validation.zone_ids[hostname],
                name=option.apply(lambda o: o.resource_record_name or ""),
                type=option.apply(lambda o: o.resource_record_type or ""),
                records=[option.apply(lambda o: o.resource_record_value or "")],
                ttl=300,
                allow_overwrite=True,
                opts=writer,
            )
            fqdns.append(record.fqdn)
    issued = aws.acm.CertificateValidation(
        child(name, "certificate-validation"),
        certificate_arn=certificate.arn,
        validation_record_fqdns=fqdns,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return issued.certificate_arn, validation_records
