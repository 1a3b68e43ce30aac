package dev.turnbridge.testing;

import java.lang.reflect.AnnotatedElement;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.lifecycle.AfterContainerHook;
import net.jqwik.api.lifecycle.BeforeContainerHook;
import net.jqwik.api.lifecycle.ContainerLifecycleContext;
import net.jqwik.api.lifecycle.PropagationMode;

/**
 * {@link LeakCheck} for jqwik's engine, which knows nothing of Jupiter extensions: fails a class of
 * properties whose buffers leak. Registered globally (META-INF/services/net.jqwik.api.lifecycle.LifecycleHook).
 */
public final class JqwikLeakCheck implements BeforeContainerHook, AfterContainerHook {
    @Override
    public PropagationMode propagateTo() {
        return PropagationMode.ALL_DESCENDANTS;
    }

    @Override
    public boolean appliesTo(Optional<AnnotatedElement> element) {
        return element.map(e -> e instanceof Class).orElse(false);
    }

    @Override
    public void beforeContainer(ContainerLifecycleContext context) {
        LeakGuard.requireInstalled();
        List<String> late = LeakGuard.taken();
        if (!late.isEmpty()) {
            throw new AssertionError("Netty buffer leak reported before " + context.label()
                    + " started (left by an earlier test class): " + LeakGuard.describe(late));
        }
    }

    @Override
    public void afterContainer(ContainerLifecycleContext context) throws InterruptedException {
        List<String> leaks = LeakGuard.collect();
        if (!leaks.isEmpty()) {
            throw new AssertionError("Netty buffer leak in " + context.label() + ": " + LeakGuard.describe(leaks));
        }
    }
}
