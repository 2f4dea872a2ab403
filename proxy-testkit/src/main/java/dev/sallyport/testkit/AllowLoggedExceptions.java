package dev.sallyport.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Tells {@link LoggedExceptionCheck} which logged exceptions a test provokes on purpose. On a
 * test method it covers that test; on a class, every test in it (and its {@code @Nested} classes)
 * and the class's own set-up and tear-down.
 *
 * <pre>{@code
 * @Test
 * @AllowLoggedExceptions(IllegalStateException.class)   // the broken pool below logs one
 * void brokenPool_repliesGeneralFailure() { ... }
 * }</pre>
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface AllowLoggedExceptions {

    /**
     * Exception types that may be logged: an event is allowed when its exception or any of its
     * causes is an instance of one of them. Empty (the default) allows every exception.
     *
     * @return the allowed types
     */
    Class<? extends Throwable>[] value() default {};
}
