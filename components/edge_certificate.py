"""The Edge's certificate: ACM, DNS-validated, for the entity hostnames.

With ``settings.certificate_arn`` the Edge uses that certificate and nothing here runs. Otherwise ACM
issues one for ``hostnames`` by DNS validation, and the HTTPS listener waits
(``aws.acm.CertificateValidation``) until it is issued. The validation CNAMEs are exported as
``certificate_validation_records`` for the stack that owns the public zone. Because a cell's outputs
exist only after its update finishes, a first deployment would otherwise wait on records nobody has
published yet: pass ``validation_zone_id`` (the global stack's zone id, read through a StackReference;
deploy the global stack's zone first) and the Edge writes the records itself, so one ``pulumi up``
completes. Without it, publish the exported records and run ``pulumi up`` again (the validation waits
up to 75 minutes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pulumi
import pulumi_aws as aws

from fintech_infra._naming import child, physical

__all__ = ["dns_validated_certificate"]

ValidationOption = aws.acm.outputs.CertificateDomainValidationOption


def _option_for(hostname: str) -> Callable[[Sequence[ValidationOption]], ValidationOption]:
    def pick(options: Sequence[ValidationOption]) -> ValidationOption:
        return next(option for option in options if option.domain_name == hostname)

    return pick


def dns_validated_certificate(
    name: str, hostnames: Sequence[str], zone_id: pulumi.Input[str] | None, *, parent: pulumi.Resource
) -> tuple[pulumi.Output[str], pulumi.Output[list[dict[str, str]]]]:
    """An ACM certificate for ``hostnames``, validated by DNS: its ARN once issued, and the validation records.

    With ``zone_id`` the records are written there; without, the validation waits until someone
    publishes the returned records.
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
    if zone_id is not None:
        fqdns = []
        # Keyed by hostname (never list position); SANs of one apex can share a record, hence allow_overwrite.
        for hostname in hostnames:
            option = certificate.domain_validation_options.apply(_option_for(hostname))
            record = aws.route53.Record(
                child(name, f"validation-{physical(hostname)}"),
                zone_id=zone_id,
                name=option.apply(lambda o: o.resource_record_name or ""),
                type=option.apply(lambda o: o.resource_record_type or ""),
                records=[option.apply(lambda o: o.resource_record_value or "")],
                ttl=300,
                allow_overwrite=True,
                opts=pulumi.ResourceOptions(parent=parent),
            )
            fqdns.append(record.fqdn)
    validation = aws.acm.CertificateValidation(
        child(name, "certificate-validation"),
        certificate_arn=certificate.arn,
        validation_record_fqdns=fqdns,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return validation.certificate_arn, validation_records
