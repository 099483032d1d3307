package dev.manifold.controller.api.v1alpha1;

import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;

import java.util.Comparator;
import java.util.List;

/**
 * Build-time CRD post-processor (quarkus.operator-sdk.crd.post-processor): the generator sorts printer columns
 * alphabetically; kubectl shows them in CRD order, which must be PREFIX, READY, TOOLS, URL, AGE.
 */
public class PrinterColumnOrder implements CRDPostProcessor {

    private static final List<String> ORDER = List.of("PREFIX", "READY", "TOOLS", "URL", "AGE");

    @Override
    public HasMetadata process(HasMetadata crd, String crdSpecVersion) {
        if (crd instanceof CustomResourceDefinition v1) {
            for (CustomResourceDefinitionVersion version : v1.getSpec().getVersions()) {
                if (version.getAdditionalPrinterColumns() != null) {
                    version.getAdditionalPrinterColumns().sort(Comparator.comparingInt(
                            (CustomResourceColumnDefinition c) -> ORDER.indexOf(c.getName()) < 0 ? ORDER.size()
                                    : ORDER.indexOf(c.getName())));
                }
            }
        }
        return crd;
    }
}
