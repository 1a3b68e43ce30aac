package dev.turnbridge.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Proves the leak guard fails tests in this module: the build's {@code leak-canary} execution runs this
 * module's canaries (classes named {@code *LeakCanary}, each leaks one buffer on purpose) with failures
 * ignored, and this check, run by the next execution, requires each canary's report to hold the guard's
 * failure naming the canary's own allocation. A canary that passed means leaks would pass unnoticed.
 */
class LeakCanaryCheck {
    @Test
    void everyCanaryWasFailedByTheLeakGuard() throws Exception {
        String reports = System.getProperty("leakCanary.reports");
        String canaries = System.getProperty("leakCanary.classes");
        assertNotNull(reports, "leakCanary.reports not set (see the parent pom)");
        assertNotNull(canaries, "leakCanary.classes not set (see the module's pom)");
        for (String canary : canaries.split(",")) {
            Path report = Path.of(reports, "TEST-" + canary.trim() + ".xml");
            assertTrue(Files.isRegularFile(report), "the canary " + canary + " did not run: no " + report);
            String failure = failures(report);
            assertFalse(failure.isEmpty(), "the canary " + canary + " passed: the leak guard let a leak through");
            String simpleName = canary.substring(canary.lastIndexOf('.') + 1);
            assertTrue(failure.contains("Netty buffer leak") && failure.contains(simpleName + ".leak"),
                    "the canary " + canary + " failed, but not for its own leak:\n" + failure);
        }
    }

    /** The messages and traces of every failure and error in a surefire XML report. */
    private static String failures(Path report) throws Exception {
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(report.toFile());
        StringBuilder text = new StringBuilder();
        for (String tag : new String[] {"failure", "error"}) {
            NodeList nodes = doc.getElementsByTagName(tag);
            for (int i = 0; i < nodes.getLength(); i++) {
                Element e = (Element) nodes.item(i);
                text.append(e.getAttribute("message")).append('\n').append(e.getTextContent()).append('\n');
            }
        }
        return text.toString();
    }
}
